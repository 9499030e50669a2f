import { Router } from 'express';
import type { Registry } from 'prom-client';
import { redisAnswers, type RedisClient } from '@gateway/queue';

/**
 * `/healthz` (Redis answers or not: readiness), `/livez` (the process answers: liveness, which a Redis outage the
 * API rides out does not fail) and `/metrics` (Prometheus text): open, without auth.
 */
export function healthRoutes(redis: RedisClient, registry: Registry): Router {
  const router = Router();
  router.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
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
