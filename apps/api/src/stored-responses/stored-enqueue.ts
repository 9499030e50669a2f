import { publishCancel, type QueuePrefix, type RedisClient } from '@gateway/queue';
import type { EnqueueOutcome, EnqueueService } from '../enqueue';

interface StoredEnqueueDeps {
  enqueuer: Pick<EnqueueService, 'dropUnstarted'>;
  redis: RedisClient;
  prefix: QueuePrefix;
}

/**
 * The enqueue of a stored response, beside the save of its record (`saving`, started before it): the two round trips
 * overlap instead of adding up. The save's refusal (the key keeps its most, 403) wins: a job this enqueue has just
 * made is dropped again (given back when no worker has it yet, cancelled when one has). An enqueue refused with
 * the record saved throws as it is; the route deletes the record.
 */
export async function enqueueBesideSave(
  deps: StoredEnqueueDeps,
  jobId: string,
  saving: Promise<void> | undefined,
  enqueue: () => Promise<EnqueueOutcome>,
): Promise<EnqueueOutcome> {
  if (!saving) return enqueue();
  const [saved, enqueued] = await Promise.allSettled([saving, enqueue()]);
  if (saved.status === 'rejected') {
    if (enqueued.status === 'fulfilled' && enqueued.value === 'created') {
      await deps.enqueuer.dropUnstarted(jobId);
      await publishCancel(deps.redis, deps.prefix, jobId).catch(() => undefined);
    }
    throw saved.reason;
  }
  if (enqueued.status === 'rejected') throw enqueued.reason;
  return enqueued.value;
}
