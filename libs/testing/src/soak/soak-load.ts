import { postJson } from '../gateway-harness';
import { postSse } from '../sse-client';

export interface LoadTally {
  /** Asynchronous jobs accepted (202), by id: the ones that must all finish. */
  acceptedJobIds: string[];
  syncOk: number;
  syncFailed: Record<string, number>;
  streamOk: number;
  streamFailed: Record<string, number>;
  /** Requests refused with 503 (Redis down), 5xx, or a connection error (an API killed). */
  refused: Record<string, number>;
}

export function emptyTally(): LoadTally {
  return { acceptedJobIds: [], syncOk: 0, syncFailed: {}, streamOk: 0, streamFailed: {}, refused: {} };
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** Sends one request of the mix (60 % jobs, 25 % synchronous chats, 15 % streams) to the given API. */
export async function sendOne(baseUrl: string, index: number, tally: LoadTally): Promise<void> {
  const roll = Math.random();
  const content = Math.random() < 0.3 ? `slow:${500 + Math.floor(Math.random() * 2500)} soak-${index}` : `soak-${index}`;
  const body = { agent_id: `soak-${index % 5}`, messages: [{ role: 'user', content }] };
  try {
    if (roll < 0.6) {
      const answer = await postJson(`${baseUrl}/v1/jobs`, body);
      if (answer.status === 202) tally.acceptedJobIds.push((answer.body as { job_id: string }).job_id);
      else bump(tally.refused, `jobs ${answer.status}`);
    } else if (roll < 0.85) {
      const answer = await postJson(`${baseUrl}/v1/chat`, body);
      if (answer.status === 200) tally.syncOk += 1;
      else if (answer.status === 503) bump(tally.refused, 'chat 503');
      else bump(tally.syncFailed, String(answer.status));
    } else {
      const answer = await postSse(`${baseUrl}/v1/chat/stream`, body);
      const last = answer.events.at(-1) as { done?: boolean; error?: { type: string } } | undefined;
      if (answer.status === 200 && last?.done) tally.streamOk += 1;
      else if (answer.status === 503) bump(tally.refused, 'stream 503');
      else bump(tally.streamFailed, last?.error?.type ?? String(answer.status));
    }
  } catch {
    bump(tally.refused, 'connection error');
  }
}
