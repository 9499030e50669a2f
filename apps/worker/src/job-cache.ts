import type { ChatJobResult, GatewayJobData } from '@gateway/contracts';
import type { ResponseCacheStore } from '@gateway/limits';
import type { Logger } from '@gateway/observability';
import type { RedisClient } from '@gateway/queue';

/** What the workers' side of the response cache needs. */
export interface JobCacheDeps {
  store: ResponseCacheStore;
  /** How long a job's in-flight mark lasts (CHAT_TIMEOUT_MS, as the API's): past it, a holder that vanished is forgotten. */
  markMs: number;
  redis: RedisClient;
  /** A job's hash key (in the queue its id names): whether the job holding a mark still runs is read there. */
  jobKey: (jobId: string) => string;
}

/** How a job whose request opted in starts: answered by the cache, the one to call, or to look again after waiting. */
export type JobCacheStart = { hit: ChatJobResult } | { lead: true } | { waitMs: number };

/** A job's cache entry; none for a job made before entries were named by scope and hash (it fills nothing). */
function entryOf(data: GatewayJobData): NonNullable<GatewayJobData['response_cache']> | undefined {
  const ref = data.response_cache;
  return typeof ref?.scope === 'string' && typeof ref.hash === 'string' ? ref : undefined;
}

/** The runs after which a follower asks whether the job it waits for still exists (its request may have been dropped). */
const HOLDER_CHECK_AFTER_RUNS = 4;

/** How long a follower waits before its next look: soon at first, then at most every second. */
export function followerWaitMs(run: number): number {
  return Math.min(1000, 100 * 2 ** Math.min(Math.max(0, run - 1), 4));
}

/**
 * The response cache as the workers use it. A request of a batch or an asynchronous job that opted in is looked up as
 * its job starts (`start`): a hit completes it without a call; else the job either holds the request's in-flight mark
 * (it calls, and `fill` writes the entry) or waits in the queue (delayed, holding no slot) while the job holding the
 * mark runs, and looks again; identical requests running together, in one batch or across batches and instances,
 * make one upstream call. A job that ends without an answer gives its mark up (`release`).
 */
export function createJobCache(deps: JobCacheDeps) {
  /** Whether the job holding a mark is still to end (not finished, not gone). */
  const holderRuns = async (holder: string): Promise<boolean> => {
    const [timestamp, finishedOn] = await deps.redis.hmget(deps.jobKey(holder), 'timestamp', 'finishedOn');
    return timestamp !== null && finishedOn === null;
  };

  return {
    async start(job: { id: string; data: GatewayJobData; attemptsStarted: number }, log: Logger): Promise<JobCacheStart> {
      const ref = entryOf(job.data);
      if (!ref?.lookup) return { lead: true };
      try {
        let found = await deps.store.lookup(ref, job.id, deps.markMs);
        // Waited long enough for the request to have been queued: a holder that ended without an answer or vanished
        // (its request refused, or dropped before a worker took it) gives way.
        if (found.state === 'in-flight' && job.attemptsStarted >= HOLDER_CHECK_AFTER_RUNS && !(await holderRuns(found.holder))) {
          found = await deps.store.lookup(ref, job.id, deps.markMs, found.holder);
        }
        if (found.state === 'hit') return { hit: found.result };
        if (found.state === 'in-flight') return { waitMs: followerWaitMs(job.attemptsStarted) };
        return { lead: true };
      } catch (error) {
        // Redis trouble: the job calls the upstream as if it had not opted in (its answer is filled if Redis is back).
        log.warn({ err: error }, 'could not look the request up in the response cache');
        return { lead: true };
      }
    },

    /**
     * Fills the entry a job was made for with its answer and clears the request's in-flight mark: only where a job
     * completes with a whole answer (errors, cancelled and cut streams fill nothing). Sent at once beside the
     * settlement, on the same connection. Never rejects (a failure is logged: the next identical request misses).
     */
    fill(data: GatewayJobData, result: ChatJobResult, log: Logger): Promise<void> {
      const ref = entryOf(data);
      if (ref === undefined) return Promise.resolve();
      const answer = JSON.stringify(result);
      return deps.store.store(ref, answer, ref.ttl).then(
        (stored) => {
          if (!stored.kept) log.info({ bytes: Buffer.byteLength(answer) }, 'answer larger than the response cache quota: not kept');
          else if (stored.evicted > 0) log.debug({ evicted: stored.evicted }, 'response cache entries evicted for room');
        },
        (error: unknown) => log.warn({ err: error }, 'could not store the answer in the response cache'),
      );
    },

    /** Gives up the mark a job held (it ended without an answer): identical requests waiting call at once. Never rejects. */
    async release(jobId: string, data: GatewayJobData, log: Logger): Promise<void> {
      const ref = entryOf(data);
      if (ref === undefined) return;
      await deps.store.releaseMark(ref, jobId).catch((error: unknown) => log.warn({ err: error }, 'could not clear the response cache mark'));
    },
  };
}

export type JobCache = ReturnType<typeof createJobCache>;
