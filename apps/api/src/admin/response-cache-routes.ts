import { Router } from 'express';
import { invalidRequest } from '@gateway/contracts';
import type { ResponseCache } from '../enqueue';

const keyIdPattern = /^key_[A-Za-z0-9]{16}$/;

/** `DELETE /admin/cache` (behind the admin token): empties the response cache, or one key's part (`?key_id=`); answers `{deleted}`. */
export function responseCacheRoutes(cache: ResponseCache): Router {
  const router = Router();
  router.delete('/admin/cache', async (req, res) => {
    const keyId = req.query['key_id'];
    if (keyId !== undefined && (typeof keyId !== 'string' || !keyIdPattern.test(keyId))) throw invalidRequest('key_id: not an API key id');
    res.json({ deleted: await cache.clear(keyId) });
  });
  return router;
}
