import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection';

/**
 * The part of ioredis' cluster subscriber this watch reads: private fields of ioredis 6 (the version is pinned; the
 * reply-channel fault test on a cluster fails if they change). `subscriber` is the connection in use,
 * `lastActiveSubscriber` the last one that finished subscribing to every channel.
 */
interface ClusterSubscriberInternals {
  subscriber: { status?: string } | null;
  lastActiveSubscriber?: object | null;
}

/** How often the cluster's subscriber is looked at (a property read, no Redis command). */
const WATCH_INTERVAL_MS = 100;

/** What a subscriber-mode connection reports besides its messages. */
export interface SubscriberMoveHandlers {
  /** The connection in use is gone: messages published from now on until `onResubscribed` are lost. */
  onDown?: () => void;
  /** A new connection has subscribed to every channel again. */
  onResubscribed: () => void;
}

/**
 * On a Redis Cluster, ioredis moves its pub/sub connection to another node when the one in use drops, and
 * subscribes there again, without an event: 'ready' and 'close' are the cluster's, not its subscriber's. Messages
 * published meanwhile are lost, so a caller that recovers them on 'ready' of a standalone Redis gets the same
 * signal here (within 100 ms). Returns the stop; a standalone connection needs no watch (its 'ready' says it).
 */
export function watchSubscriberMoves(client: RedisClient, handlers: SubscriberMoveHandlers): () => void {
  if (!(client instanceof Cluster)) return () => undefined;
  const internals = (client as unknown as { subscriber?: ClusterSubscriberInternals }).subscriber;
  if (!internals || !('subscriber' in internals))
    throw new Error('this ioredis does not expose its cluster subscriber: messages lost while it moves could not be recovered');
  let active = internals.lastActiveSubscriber;
  let down = false;
  const timer = setInterval(() => {
    const latest = internals.lastActiveSubscriber;
    const healthy = internals.subscriber !== null && internals.subscriber === latest && internals.subscriber.status === 'ready';
    if (healthy && latest !== active) {
      active = latest;
      down = false;
      handlers.onResubscribed();
    } else if (!healthy && !down) {
      down = true;
      handlers.onDown?.();
    }
  }, WATCH_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
