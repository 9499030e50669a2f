import { Router, type Request } from 'express';
import { invalidRequest } from '@gateway/contracts';
import type { ResponseCache } from '../enqueue';

const keyIdPattern = /^key_[A-Za-z0-9]{16}$/;

/** The `key_id` query parameter: one key's part of the cache, or (absent) all of it. */
function keyIdOf(req: Request): string | undefined {
  const keyId = req.query['key_id'];
  if (keyId !== undefined && (typeof keyId !== 'string' || !keyIdPattern.test(keyId))) throw invalidRequest('key_id: not an API key id');
  return keyId;
}

/**
 * The response cache for operators (behind the admin token): `GET /admin/cache` tells what it holds (`{entries, bytes,
 * key_quota_bytes}`, every key's together or one key's with `?key_id=`); `DELETE /admin/cache` empties it, or one
 * key's part, answering `{deleted}`.
 */
export function responseCacheRoutes(cache: ResponseCache): Router {
  const router = Router();
  router.get('/admin/cache', async (req, res) => {
    const keyId = keyIdOf(req);
    const usage = await cache.usage(keyId);
    res.json({ ...(keyId !== undefined ? { key_id: keyId } : {}), entries: usage.entries, bytes: usage.bytes, key_quota_bytes: cache.keyQuotaBytes });
  });
  router.delete('/admin/cache', async (req, res) => {
    res.json({ deleted: await cache.clear(keyIdOf(req)) });
  });
  return router;
}
