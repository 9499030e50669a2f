import { queueUnavailable } from '@gateway/contracts';
import { isRedisUnavailable } from '../middleware/error-handler';

/** A Redis outage as `unavailable` (503 + Retry-After); any other error as it is. */
export function asUnavailable(error: unknown): unknown {
  return isRedisUnavailable(error) ? queueUnavailable(error) : error;
}

/** Runs a Redis write of an enqueue, turning a Redis outage into `unavailable` (503 + Retry-After). */
export async function enqueueOrUnavailable<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw asUnavailable(error);
  }
}
