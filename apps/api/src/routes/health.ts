import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { RedisClient } from '@gateway/queue';

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

/** `/healthz` (Redis answers or not) and `/metrics` (Prometheus text): open, without auth. */
export function healthRoutes(redis: RedisClient, registry: Registry): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    if (await redisAnswers(redis)) res.json({ status: 'ok' });
    else res.status(503).json({ status: 'unavailable', error: { type: 'unavailable', message: 'redis does not answer' } });
  });
  router.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', registry.contentType);
    res.send(await registry.metrics());
  });
  return router;
}
