import { jobWaitTimedOut, type ChatJobResult } from '@gateway/contracts';
import type { JobQueues } from '@gateway/queue';
import { lookupJobOutcome } from '../job-lookup';

/** How often a request waiting for an identical one in flight looks its job up: soon at first, then at most every half second. */
const pollDelays = [20, 40, 80, 160, 320, 500];

/** How long a job marked in flight may be absent from the queue: its request marks it just before adding it. */
const ADD_GRACE_MS = 2000;

/**
 * The answer of the job an identical request has in flight (its id read from the cache's in-flight mark), read
 * from its state in Redis; undefined when that job failed, or never appeared: the caller then makes its own call
 * (another request's failure is never its answer). Throws `timeout` past timeoutMs.
 */
export async function waitForInflightJob(queue: JobQueues, jobId: string, timeoutMs: number): Promise<ChatJobResult | undefined> {
  const started = performance.now();
  for (let attempt = 0; ; attempt += 1) {
    const outcome = await lookupJobOutcome(queue, jobId);
    if (outcome.state === 'completed') return outcome.result;
    if (outcome.state === 'failed') return undefined;
    const waited = performance.now() - started;
    if (outcome.state === 'missing' && waited > ADD_GRACE_MS) return undefined;
    const delay = pollDelays[Math.min(attempt, pollDelays.length - 1)] ?? 500;
    if (waited + delay > timeoutMs) throw jobWaitTimedOut(timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
