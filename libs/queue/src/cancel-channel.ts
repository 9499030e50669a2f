import { queueKeys } from './keys';
import type { RedisClient } from './redis-connection';

/** Asks every worker to abort a job it is running (the one holding it calls worker.cancelJob). */
export async function publishCancel(redis: RedisClient, prefix: string, jobId: string): Promise<void> {
  await redis.publish(queueKeys.cancelChannel(prefix), jobId);
}

/** Options of a worker's cancel subscription. */
export interface CancelSubscriptionOptions {
  /** A dedicated `blocking` connection: it enters subscriber mode. */
  subscriber: RedisClient;
  prefix: string;
  onCancel: (jobId: string) => void;
}

/** Subscribes once per worker process to the cancel channel; returns the unsubscribe function. */
export async function subscribeCancels(options: CancelSubscriptionOptions): Promise<() => Promise<void>> {
  const channel = queueKeys.cancelChannel(options.prefix);
  const onMessage = (incoming: string, jobId: string) => {
    if (incoming === channel && jobId.length > 0) options.onCancel(jobId);
  };
  options.subscriber.on('message', onMessage);
  await options.subscriber.subscribe(channel);
  return async () => {
    options.subscriber.off('message', onMessage);
    await options.subscriber.unsubscribe(channel).catch(() => undefined);
  };
}
