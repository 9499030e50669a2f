import { Redis } from 'ioredis';
import {
  callsFor,
  noRateLimit,
  postSse,
  scriptedBehaviour,
  uniquePrefix,
  useGateway,
  waitFor,
  waitForStatus,
  type AppProcess,
  type SseResult,
} from '@gateway/testing';

/**
 * A streamed job whose worker stalls (its event loop held longer than the job's lock, as thousands of streams on
 * one core can hold it) loses its lock: the stalled check gives the job to another worker, which runs it again
 * while the first run still lives. When the first worker goes on, it still has the provider's tokens of the pause
 * to send before it learns its lock is gone. The client's stream must go on coherently (every word once, in
 * order, and the end), never mix the two runs.
 */
jest.setTimeout(90_000);

const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index}`).join(' ');
const textOf = (result: SseResult) =>
  result.events
    .filter((event): event is { content: string } => typeof event === 'object' && event !== null && 'content' in event)
    .map((event) => event.content)
    .join('');
const errorOf = (result: SseResult) => result.events.find((event) => typeof event === 'object' && event !== null && 'error' in event);

const prefix = uniquePrefix('rerun');
const suite = useGateway({
  name: 'rerun',
  prefix,
  openRouter: { apiKey: 'sk-or-rerun', behave: scriptedBehaviour },
  // Short locks, checked often: a worker paused for 3 s loses the job to another.
  env: { PROVIDER_TIMEOUT_MS: '30000', WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '500', WORKER_MAX_STALLED_COUNT: '5', ...noRateLimit },
  gateway: false,
});
const { fake } = suite;
const api = suite.addApi();
const workers: AppProcess[] = [suite.addWorker()];

/**
 * Pauses every worker (SIGSTOP) once the stream has sent `after` words, starts another, and lets the paused ones go
 * on once the new one runs the job again (a second call to the upstream) and has sent a little of its own.
 */
function stallMidStream(content: string, after: number) {
  let seen = 0;
  let stalling: Promise<void> | undefined;
  const stall = async () => {
    const paused = [...workers];
    for (const worker of paused) worker.child.kill('SIGSTOP');
    try {
      workers.push(await suite.startWorker());
      await waitFor(async () => (callsFor(fake, content) >= 2 ? true : undefined), 20_000, 50);
      await new Promise((resolve) => setTimeout(resolve, 1200));
    } finally {
      for (const worker of paused) worker.child.kill('SIGCONT');
    }
  };
  return {
    onEvent: (event: unknown) => {
      if (typeof event === 'object' && event !== null && 'content' in event) seen += 1;
      if (seen === after && !stalling) stalling = stall();
      return undefined;
    },
    stalled: () => stalling,
  };
}

async function keptChunkSeqs(jobId: string): Promise<number[]> {
  const client = new Redis(suite.redis.url);
  try {
    const entries = (await client.xrange(`${prefix}:stream:${jobId}`, '-', '+')) as [string, string[]][];
    return entries
      .map(([, fields]) => JSON.parse(fields[1]!) as { kind: string; seq: number })
      .filter((message) => message.kind === 'chunk')
      .map((message) => message.seq);
  } finally {
    client.disconnect();
  }
}

describe('a streamed job run again while its first run still lives (its lock lapsed)', () => {
  it.each([
    ['not kept', false],
    ['resumable', true],
  ])('%s: the stream goes on with every word once, in order, and ends properly', async (_, resumable) => {
    const content = `drip:100:60 rerun ${resumable ? 'resumable' : 'plain'}`;
    const stall = stallMidStream(content, 8);
    const body = { messages: [{ role: 'user', content }], ...(resumable ? { resumable: true } : {}) };
    const result = await postSse(`${api.baseUrl}/v1/chat/stream`, body, { onEvent: stall.onEvent });
    await stall.stalled();
    expect(result.status).toBe(200);
    expect(callsFor(fake, content)).toBe(2);
    expect(errorOf(result)).toBeUndefined();
    expect(textOf(result)).toBe(words(60));
    expect(result.events.at(-1)).toMatchObject({ done: true });
    const jobId = result.headers.get('x-job-id')!;
    const view = await waitForStatus(api.baseUrl, jobId, 'completed', 20_000);
    expect(view?.result?.content).toBe(words(60));
    if (resumable) {
      // One run's messages only: each chunk seq once, in order.
      const seqs = await keptChunkSeqs(jobId);
      expect(seqs).toEqual(seqs.map((_, index) => index));
    }
  });
});
