import { publishCancel, type QueuePrefix, type RedisClient } from '@gateway/queue';
import type { EnqueueOutcome, EnqueueService } from '../enqueue';

interface StoredEnqueueDeps {
  enqueuer: Pick<EnqueueService, 'dropUnstarted'>;
  redis: RedisClient;
  prefix: QueuePrefix;
}

/**
 * The enqueue of a stored response, beside the save of its record (`saving`, started before it): the two round trips
 * overlap instead of adding up. The save's refusal (the key keeps its most, 403) wins: a job this enqueue has just
 * made is dropped again (given back when no worker has it yet, cancelled when one has; StoreHeadroom keeps this for
 * owners far from their bound). An enqueue refused with the record saved throws as it is; the route deletes the record.
 */
export async function enqueueBesideSave(
  deps: StoredEnqueueDeps,
  jobId: string,
  saving: Promise<unknown> | undefined,
  enqueue: () => Promise<EnqueueOutcome>,
): Promise<EnqueueOutcome> {
  if (!saving) return enqueue();
  const [saved, enqueued] = await Promise.allSettled([saving, enqueue()]);
  if (saved.status === 'rejected') {
    if (enqueued.status === 'fulfilled' && enqueued.value === 'created') {
      await deps.enqueuer.dropUnstarted(jobId);
      await publishCancel(deps.redis, deps.prefix, jobId).catch(() => undefined);
    }
    throw saved.reason;
  }
  if (enqueued.status === 'rejected') throw enqueued.reason;
  return enqueued.value;
}

/** This instance's view of its owners' stored records, to tell whether a save may overlap its enqueue. */
export interface StoreHeadroom {
  /**
   * True when the owner's record cannot be refused: its count at this instance's last save, its saves in flight
   * here and a tenth of the bound more (other instances') stay below the bound. False for an owner not seen yet:
   * its save then comes before its enqueue, as does every save near the bound, so a refused response never runs.
   */
  roomy(owner: string): boolean;
  /** Follows a save of the owner's (its count when it ends). */
  track(owner: string, saving: Promise<number>): void;
}

/** Owners remembered at most (a key's entry comes back with its next save). */
const MAX_OWNERS = 10_000;

export function createStoreHeadroom(maxPerOwner: number): StoreHeadroom {
  const kept = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const margin = Math.max(1, Math.floor(maxPerOwner / 10));
  return {
    roomy(owner) {
      const last = kept.get(owner);
      return last !== undefined && last + (inFlight.get(owner) ?? 0) + margin < maxPerOwner;
    },
    track(owner, saving) {
      inFlight.set(owner, (inFlight.get(owner) ?? 0) + 1);
      const done = (count: number) => {
        if (kept.size >= MAX_OWNERS && !kept.has(owner)) kept.clear();
        kept.set(owner, count);
        const left = (inFlight.get(owner) ?? 1) - 1;
        if (left > 0) inFlight.set(owner, left);
        else inFlight.delete(owner);
      };
      // A refusal (or a Redis error) counts as full: the next saves come before their enqueues until one succeeds.
      saving.then(done, () => done(maxPerOwner));
    },
  };
}
