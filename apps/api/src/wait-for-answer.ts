import type { ChatJobResult } from '@gateway/contracts';
import { jobLost, jobWaitTimedOut } from '@gateway/contracts';
import type { JobQueues } from '@gateway/queue';
import { lookupJobOutcome } from './job-lookup';
import type { ResultWaiter, WaitedResult } from './result-waiter';

/** Thrown inside a waiter's enqueue when the job already existed: its reply goes to the instance that made it. */
class JoinedExistingJob extends Error {}

/** How often a duplicate looks its job up: soon at first, then at most every second. */
const pollDelays = [50, 100, 200, 400, 800, 1000];

/**
 * Waits for a job this instance did not enqueue (a duplicate under an Idempotency-Key: the job's replies go to the
 * instance that made it) by reading its state until it is finished: a rare path, a read per second at most.
 */
export async function waitByLookup(queue: JobQueues, jobId: string, timeoutMs: number): Promise<ChatJobResult> {
  const deadline = performance.now() + timeoutMs;
  for (let attempt = 0; ; attempt += 1) {
    const outcome = await lookupJobOutcome(queue, jobId);
    if (outcome.state === 'completed') return outcome.result;
    if (outcome.state === 'failed') throw outcome.error;
    if (outcome.state === 'missing') throw jobLost();
    const delay = pollDelays[Math.min(attempt, pollDelays.length - 1)] ?? 1000;
    if (performance.now() + delay > deadline) throw jobWaitTimedOut(timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * A sync call's answer: the job enqueued here is waited for on the reply channel as always; one that already
 * existed (`enqueue` answered 'joined') is waited for by lookup. A duplicate of a job this instance already waits
 * for never registers a second waiter (one per job id).
 */
export async function waitForAnswer(
  deps: { waiter: ResultWaiter; queue: JobQueues },
  jobId: string,
  timeoutMs: number,
  enqueue: () => Promise<'created' | 'joined'>,
): Promise<WaitedResult> {
  if (deps.waiter.has(jobId)) {
    await enqueue();
    return waitByLookup(deps.queue, jobId, timeoutMs);
  }
  try {
    return await deps.waiter.enqueueAndWait(jobId, timeoutMs, async () => {
      if ((await enqueue()) === 'joined') throw new JoinedExistingJob();
    });
  } catch (error) {
    if (error instanceof JoinedExistingJob) return waitByLookup(deps.queue, jobId, timeoutMs);
    throw error;
  }
}
