import { watchSubscriberMoves } from './cluster-subscriber-watch';
import type { RedisClient } from './redis-connection';

/** A process's local picture of something announced on a channel, and whether that picture is current. */
export interface ChannelWatch {
  /** True while subscribed and read back since the last (re)connection: the local picture can be trusted. */
  current(): boolean;
  stop(): Promise<void>;
}

export interface ChannelWatchOptions {
  onMessage(payload: string): void;
  /** Reads the whole picture from Redis (what announcements made while not subscribed would have said). */
  readBack(): Promise<void>;
  /** Also read back this often, in case an announcement was lost on a silent connection. */
  readBackEveryMs?: number;
}

/**
 * Keeps a local picture up to date from a pub/sub channel. Announcements made while the connection is down are
 * lost, so the picture is current only once subscribed and read back after each (re)connection; callers ask Redis
 * while it is not. `subscriber` is a connection in subscriber mode and may carry other channels.
 */
export async function watchChannel(subscriber: RedisClient, channel: string, options: ChannelWatchOptions): Promise<ChannelWatch> {
  let current = false;
  let generation = 0;
  let latest: Promise<void> | undefined;
  const onMessage = (incoming: string, payload: string) => {
    if (incoming === channel) options.onMessage(payload);
  };
  const readBack = () => {
    const mine = ++generation;
    latest = (async () => {
      await subscriber.subscribe(channel);
      await options.readBack();
      // A newer read-back (another reconnection meanwhile) decides instead.
      if (mine === generation && subscriber.status === 'ready') current = true;
    })();
    return latest;
  };
  const onDown = () => {
    current = false;
  };
  const onReady = () => {
    current = false;
    void readBack().catch(onDown);
  };
  const timer = options.readBackEveryMs ? setInterval(() => void readBack().catch(onDown), options.readBackEveryMs) : undefined;
  timer?.unref();
  subscriber.on('message', onMessage);
  subscriber.on('close', onDown);
  subscriber.on('ready', onReady);
  // On a cluster, the subscribed connection moves between nodes on its own, without a 'close' or a 'ready'.
  const stopMoves = watchSubscriberMoves(subscriber, { onDown, onResubscribed: onReady });
  const stop = async () => {
    current = false;
    stopMoves();
    if (timer) clearInterval(timer);
    subscriber.off('message', onMessage);
    subscriber.off('close', onDown);
    subscriber.off('ready', onReady);
    await subscriber.unsubscribe(channel).catch(() => undefined);
  };
  try {
    await readBack();
    // The connection came up meanwhile (its 'ready' started a newer read-back): current once that one is done.
    while (!current && latest) {
      const newest = latest;
      await newest;
      if (newest === latest) break;
    }
  } catch (error) {
    // Not current yet: a later reconnection or periodic read-back may make it so; the caller asks Redis meanwhile.
    if (!timer) {
      await stop();
      throw error;
    }
  }
  return { current: () => current, stop };
}
