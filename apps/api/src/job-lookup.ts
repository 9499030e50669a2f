import { Job } from 'bullmq';
import { chatJobResultSchema, malformedJobResult } from '@gateway/contracts';
import { errorFromFailedReason, type ChatQueue } from '@gateway/queue';
import type { JobOutcome } from './result-waiter';

/** Reads a chat job's outcome from the queue. */
export async function lookupJobOutcome(queue: ChatQueue, jobId: string): Promise<JobOutcome> {
  const job = await Job.fromId(queue, jobId);
  if (!job) return { state: 'missing' };
  if (job.finishedOn && job.failedReason) return { state: 'failed', error: errorFromFailedReason(job.failedReason) };
  if (job.finishedOn) {
    const parsed = chatJobResultSchema.safeParse(job.returnvalue);
    return parsed.success ? { state: 'completed', result: parsed.data } : { state: 'failed', error: malformedJobResult() };
  }
  return { state: 'pending' };
}
