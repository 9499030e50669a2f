import { jobLost, type ChatJobResult } from '@gateway/contracts';
import { readKeptOutcome, type JobQueues, type KeptOutcome, type QueuePrefix, type RedisClient } from '@gateway/queue';
import { lookupJobOutcome } from '../job-lookup';
import type { ResponseState } from '../dialects/responses/from-chat-result';

interface StateDeps {
  redis: RedisClient;
  prefix: QueuePrefix;
  queue: JobQueues;
}

function fromKept(kept: KeptOutcome): ResponseState {
  if (kept.state === 'completed') return { status: 'completed', result: kept.result };
  if (kept.error.type === 'cancelled') return { status: 'cancelled' };
  return { status: 'failed', error: { type: kept.error.type, message: kept.error.message } };
}

/**
 * Where a stored response is: its kept outcome (written by the worker that ended it, kept as long as the response),
 * else its job while the queue still holds it (queued, in progress, or just finished), else lost.
 */
export async function readResponseState(deps: StateDeps, jobId: string): Promise<ResponseState> {
  const kept = await readKeptOutcome(deps.redis, deps.prefix, jobId);
  if (kept) return fromKept(kept);
  const outcome = await lookupJobOutcome(deps.queue, jobId);
  switch (outcome.state) {
    case 'completed':
      return { status: 'completed', result: outcome.result };
    case 'failed':
      return outcome.error.type === 'cancelled'
        ? { status: 'cancelled' }
        : { status: 'failed', error: { type: outcome.error.type, message: outcome.error.message } };
    case 'missing': {
      const lost = jobLost();
      return { status: 'failed', error: { type: lost.type, message: lost.message } };
    }
    default:
      return { status: (await deps.queue.getJobState(jobId)) === 'active' ? 'in_progress' : 'queued' };
  }
}

/** How often a continuation looks again for an answer that has just been sent but is not kept yet. */
const settleDelays = [20, 50, 100, 200, 400, 800, 1000];

/**
 * The answer a continuation (`previous_response_id`) builds on: a response whose answer was just sent may not be
 * kept yet (its worker keeps it right after replying), so one still running is looked at again for a few seconds.
 */
export async function settledResult(deps: StateDeps, jobId: string, waitMs: number): Promise<ResponseState & { result?: ChatJobResult }> {
  const deadline = performance.now() + waitMs;
  for (let attempt = 0; ; attempt += 1) {
    const state = await readResponseState(deps, jobId);
    if (state.status !== 'queued' && state.status !== 'in_progress') return state;
    const delay = settleDelays[Math.min(attempt, settleDelays.length - 1)] ?? 1000;
    if (performance.now() + delay > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
