import type { LimitsPrefix, RedisClient } from '@gateway/queue';
import { limitKeys } from './keys';
import { nanoToUsd, usdToNano } from './money';
import { LimitScriptCode, runIntegerScript, scripts } from './scripts';

/** A batch's cap as its jobs carry it. */
export interface BatchCapRef {
  batch_id: string;
  max_cost_usd: number;
}

export interface BatchSpend {
  capUsd: number;
  spentUsd: number;
  inFlightUsd: number;
}

/** Whether a capped batch's request may run: started (or started before), or refused with the figures. */
export type BatchStart = { started: true } | ({ started: false } & BatchSpend);

/**
 * The spend counters of batches with `max_cost_usd` (one hash per batch, `<p>:budget:{spend}:batch:<id>`): a
 * request starts only while the batch's settled spend plus its running requests' reservations is below the cap
 * (checked and reserved in one script), and books its real cost when it settles. So the batch's spend passes
 * its cap by at most one request's cost when requests cost no more than reserved (each request that costs more
 * adds the difference). Nothing here runs for requests of uncapped batches.
 */
export function createBatchCaps(options: { redis: RedisClient; prefix: LimitsPrefix; ttlSeconds: number }) {
  const { redis, prefix } = options;
  const key = (batchId: string) => limitKeys.batchSpend(prefix, batchId);
  const ttl = Math.max(1, Math.round(options.ttlSeconds));
  return {
    /** Records a new batch's cap (so its view shows it before any request ran). */
    async open(batchId: string, capUsd: number): Promise<void> {
      await redis
        .multi()
        .hset(key(batchId), 'cap', String(usdToNano(capUsd)))
        .expire(key(batchId), ttl)
        .exec();
    },

    /** Checks the cap and reserves `reservedUsd` for the job, in one step. Idempotent on the job id. */
    async start(jobId: string, cap: BatchCapRef, reservedUsd: number): Promise<BatchStart> {
      const [code, spent = 0, inFlight = 0] = await runIntegerScript(
        redis,
        scripts.batchCapStart,
        [key(cap.batch_id)],
        [jobId, usdToNano(cap.max_cost_usd), usdToNano(reservedUsd), ttl],
      );
      if (code === LimitScriptCode.BatchCapReached)
        return { started: false, capUsd: cap.max_cost_usd, spentUsd: nanoToUsd(spent), inFlightUsd: nanoToUsd(inFlight) };
      return { started: true };
    },

    /** Books the job's real cost (or, with `undefined`, gives back its reservation), once per job. */
    async settle(jobId: string, batchId: string, costUsd: number | undefined): Promise<void> {
      await runIntegerScript(redis, scripts.batchCapSettle, [key(batchId)], [jobId, costUsd === undefined ? -1 : usdToNano(costUsd)]);
    },

    /** The batch's cap and spend, or undefined for a batch without a cap (or past its retention). */
    async spend(batchId: string): Promise<BatchSpend | undefined> {
      const [cap, spent, inFlight] = await redis.hmget(key(batchId), 'cap', 'spent', 'inflight');
      if (cap === null || cap === undefined) return undefined;
      return { capUsd: nanoToUsd(Number(cap)), spentUsd: nanoToUsd(Number(spent ?? 0)), inFlightUsd: nanoToUsd(Math.max(0, Number(inFlight ?? 0))) };
    },
  };
}

export type BatchCaps = ReturnType<typeof createBatchCaps>;
