import type { MonitoredCommand } from './redis-monitor';
import { percentile } from './sequential';

/** One request as its client saw it: when it was sent and when its answer had been read (ms since the epoch). */
export interface TimedRequest {
  sentAt: number;
  doneAt: number;
}

/** The stretches of one synchronous request at one connection, in ms, cut at the Redis commands that end them. */
export interface RequestStretches {
  /** Sent → the API's admit-and-add script runs: HTTP, auth, parsing, planning, the job's payload. */
  apiIn: number;
  /** Added → the worker's moveToActive: the wake-up of the worker's blocking fetch and the fetch itself. */
  handOff: number;
  /** Taken → the settle script: the worker's own work and the upstream call. */
  worker: number;
  /** Settle (which publishes the reply) → the answer read by the client: pub/sub, the API's answer, HTTP. */
  reply: number;
}

export const stretchNames: Record<keyof RequestStretches, string> = {
  apiIn: 'request sent → admit-and-add script (API: HTTP, auth, validation, planning, job payload)',
  handOff: 'added → worker’s moveToActive (the worker’s blocking fetch wakes, then takes the job)',
  worker: 'taken → settle script (worker: planning, the upstream call, billing inputs)',
  reply: 'settle script (publishes the reply) → answer read by the client (pub/sub, API answer, HTTP)',
};

const isAdd = (name: string) => name.includes('+') || /^add(Standard|Prioritized)Job/.test(name);

/**
 * Cuts each request of a one-connection run at the commands that mark its phases in a MONITOR trace (Redis's clock
 * and the client's are the same machine's): the API's add, the worker's moveToActive, the worker's settle script.
 * A request whose marks are not all inside its own window (sent → answered) is left out.
 */
export function requestStretches(
  requests: readonly TimedRequest[],
  trace: readonly MonitoredCommand[],
  owners: ReadonlyMap<string, string>,
  scriptName: (sha: string) => string,
): RequestStretches[] {
  const marks: Array<{ at: number; kind: 'add' | 'take' | 'settle' }> = [];
  for (const { client, args, at } of trace) {
    const command = (args[0] ?? '').toLowerCase();
    if (client === 'lua' || (command !== 'evalsha' && command !== 'eval') || at === undefined) continue;
    const owner = owners.get(client) ?? '';
    const name = scriptName(args[1] ?? '');
    if (owner.startsWith('api') && isAdd(name)) marks.push({ at, kind: 'add' });
    else if (owner.startsWith('worker') && /^moveToActive/.test(name)) marks.push({ at, kind: 'take' });
    else if (owner.startsWith('worker') && /^budget-settle/.test(name)) marks.push({ at, kind: 'settle' });
  }
  const stretches: RequestStretches[] = [];
  let cursor = 0;
  for (const { sentAt, doneAt } of requests) {
    while (cursor < marks.length && marks[cursor]!.at < sentAt) cursor += 1;
    const inside = [];
    for (let index = cursor; index < marks.length && marks[index]!.at <= doneAt; index += 1) inside.push(marks[index]!);
    const add = inside.find((mark) => mark.kind === 'add');
    const take = add && inside.find((mark) => mark.kind === 'take' && mark.at >= add.at);
    const settle = take && inside.find((mark) => mark.kind === 'settle' && mark.at >= take.at);
    if (!add || !take || !settle) continue;
    stretches.push({ apiIn: add.at - sentAt, handOff: take.at - add.at, worker: settle.at - take.at, reply: doneAt - settle.at });
  }
  return stretches;
}

/** p50 and p99 of each stretch. */
export function stretchPercentiles(stretches: readonly RequestStretches[]): Record<keyof RequestStretches, { p50: number; p99: number }> {
  const of = (key: keyof RequestStretches) => {
    const sorted = stretches.map((stretch) => stretch[key]).sort((a, b) => a - b);
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
  };
  return { apiIn: of('apiIn'), handOff: of('handOff'), worker: of('worker'), reply: of('reply') };
}
