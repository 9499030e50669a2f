import { queueKeys } from './keys';
import type { RedisClient } from './redis-connection';
import type { QueuePrefix } from './prefixes';

/** Asks every worker to abort a job (the one running it does; the others remember it briefly). */
export async function publishCancel(redis: RedisClient, prefix: QueuePrefix, jobId: string): Promise<void> {
  await redis.publish(queueKeys.cancelChannel(prefix), jobId);
}

export interface CancelSubscriptionOptions {
  /** A dedicated `blocking` connection: it enters subscriber mode. */
  subscriber: RedisClient;
  prefix: QueuePrefix;
  onCancel: (jobId: string) => void;
}

/** Subscribes once per worker process to the cancel channel; returns the unsubscribe. */
export async function subscribeCancels(options: CancelSubscriptionOptions): Promise<() => Promise<void>> {
  const channel = queueKeys.cancelChannel(options.prefix);
  const onMessage = (incoming: string, payload: string) => {
    if (incoming === channel && payload.length > 0 && payload.length <= 256) options.onCancel(payload);
  };
  options.subscriber.on('message', onMessage);
  await options.subscriber.subscribe(channel);
  return async () => {
    options.subscriber.off('message', onMessage);
    await options.subscriber.unsubscribe(channel).catch(() => undefined);
  };
}
