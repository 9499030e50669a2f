import type { Logger } from '@gateway/observability';
import type { RedisClient } from './redis-connection';

/** BullMQ loses jobs when Redis evicts keys: anything but noeviction is worth a loud warning. */
export async function warnOnEvictionPolicy(redis: RedisClient, logger: Logger): Promise<void> {
  try {
    const reply = (await redis.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy && policy !== 'noeviction') {
      logger.warn({ policy }, 'redis maxmemory-policy is not noeviction: jobs can be evicted and lost');
    }
  } catch (error) {
    logger.debug({ err: error }, 'could not read redis maxmemory-policy');
  }
}

/** Asks Redis for a PONG within timeoutMs. */
export async function redisAnswers(redis: RedisClient, timeoutMs = 1000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const pong = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('ping timed out')), timeoutMs);
      }),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
