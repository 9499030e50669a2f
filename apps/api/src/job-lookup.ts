import { Job } from 'bullmq';
import { GatewayError, chatJobResultSchema, fromJobError, jobErrorSchema } from '@gateway/contracts';
import type { ChatQueue } from '@gateway/queue';
import type { JobOutcome } from './result-waiter';

/** The gateway error a failed job carries in its failedReason (JSON written by the worker). */
export function errorFromFailedReason(reason: string | undefined): GatewayError {
  try {
    return fromJobError(jobErrorSchema.parse(JSON.parse(reason ?? '')));
  } catch {
    return new GatewayError('upstream_error', reason ? `job failed: ${reason.slice(0, 300)}` : 'job failed');
  }
}

/** Reads a chat job's outcome from the queue. */
export async function lookupJobOutcome(queue: ChatQueue, jobId: string): Promise<JobOutcome> {
  const job = await Job.fromId(queue, jobId);
  if (!job) return { state: 'missing' };
  if (job.finishedOn && job.failedReason) return { state: 'failed', error: errorFromFailedReason(job.failedReason) };
  if (job.finishedOn) {
    const parsed = chatJobResultSchema.safeParse(job.returnvalue);
    return parsed.success ? { state: 'completed', result: parsed.data } : { state: 'failed', error: new GatewayError('internal_error', 'job result is malformed') };
  }
  return { state: 'pending' };
}
