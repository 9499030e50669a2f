import { Job } from 'bullmq';
import { chatJobResultSchema, malformedJobResult, toGatewayError } from '@gateway/contracts';
import { errorFromFailedReason, joinStoredEmbeddings, type JobQueues } from '@gateway/queue';
import type { JobOutcome } from './result-waiter';

/** Reads a chat job's outcome from its queue (the one its id names). */
export async function lookupJobOutcome(queues: Pick<JobQueues, 'of'>, jobId: string): Promise<JobOutcome> {
  const queue = queues.of(jobId);
  const job = await Job.fromId(queue, jobId);
  if (!job) return { state: 'missing' };
  if (job.finishedOn && job.failedReason) return { state: 'failed', error: errorFromFailedReason(job.failedReason) };
  if (job.finishedOn) {
    const parsed = chatJobResultSchema.safeParse(job.returnvalue);
    if (!parsed.success) return { state: 'failed', error: malformedJobResult() };
    if (!parsed.data.embeddings_stored) return { state: 'completed', result: parsed.data };
    try {
      return { state: 'completed', result: await joinStoredEmbeddings(await queue.getBackend().client, parsed.data) };
    } catch (error) {
      return { state: 'failed', error: toGatewayError(error, () => malformedJobResult()) };
    }
  }
  return { state: 'pending' };
}
