import type { Queue } from 'bullmq';
import type { QueueDepthSource } from '@gateway/observability';

/** A BullMQ queue as a source of gateway_queue_jobs: one getJobCounts round trip per scrape. */
export function queueDepthSource(queue: Queue): QueueDepthSource {
  return {
    queue: queue.name,
    counts: () => queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'),
  };
}
