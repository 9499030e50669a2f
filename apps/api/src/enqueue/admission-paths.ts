import { chatJobDataSchema, idempotencyConflict, idempotencySpent, queueUnavailable, type ChatJobData } from '@gateway/contracts';
import type { JobQueues } from '@gateway/queue';
import type { Admission } from '../admission';
import type { PreparedJob } from './prepared-job';
import { asUnavailable, enqueueOrUnavailable } from './redis-outage';

/** A job made under an Idempotency-Key: its id (derived from the key), the request making it now, and that request's hash. */
export interface IdempotentJob {
  jobId: string;
  requestId: string;
  requestHash: string;
}

/**
 * One way of admitting (rate limit, budget reservation) and adding a job. Both throw the refusal (429, 402) or
 * `unavailable`; an add that fails after its admission gives the reservation back.
 */
export interface AdmissionPath {
  add(job: PreparedJob): Promise<void>;
  /**
   * For a job whose id came from an Idempotency-Key: the job exists at most once. A duplicate takes no rate token
   * and no reservation and is 'joined' (409 `conflict` when the job was made for another request); a key whose job
   * was billed and is no longer kept is spent (409). `prepare` runs only when the job is to be made.
   */
  addIdempotent(prepare: () => Promise<PreparedJob>, job: IdempotentJob): Promise<'created' | 'joined'>;
}

interface PathDeps {
  /** The lanes' queues: a job is added to (and looked up in) the queue its id names. */
  queues: JobQueues;
  admission: Admission;
}

/** What a job as stored says of the request that made it (undefined: no such job). */
async function storedRequest(queues: JobQueues, jobId: string): Promise<Pick<ChatJobData, 'request_id' | 'request_hash'> | undefined> {
  const job = await enqueueOrUnavailable(() => queues.getJob(jobId));
  if (!job) return undefined;
  const parsed = chatJobDataSchema.pick({ request_id: true, request_hash: true }).safeParse(job.data);
  return parsed.success ? parsed.data : { request_id: '' };
}

/** A duplicate's answer: the same request joins the existing job; another one is a 409. */
function joinOrConflict(job: IdempotentJob, stored: Pick<ChatJobData, 'request_hash'>): 'joined' {
  if (stored.request_hash !== job.requestHash) throw idempotencyConflict(job.jobId);
  return 'joined';
}

/** Gives back the reservation of a job admitted but not added, then throws why the add failed. */
async function releaseAndThrow(deps: PathDeps, job: PreparedJob, error: unknown): Promise<never> {
  await deps.admission.release(job.jobId, job.keyId).catch(() => undefined);
  throw asUnavailable(error);
}

/**
 * Admission and add in one script (one round trip, atomic; the job is added only when admitted), idempotent ones
 * with the existence check in the same script: a standalone Redis with limits on and a BullMQ whose add can be gated.
 */
export function fusedAdmission(deps: PathDeps): AdmissionPath {
  const { queues, admission } = deps;
  return {
    async add(job) {
      const { addError } = await enqueueOrUnavailable(() =>
        admission.admitAndAdd(queues.of(job.jobId), job.body, { name: job.lane, data: job.data, opts: job.opts }, job.limitSubject),
      );
      if (addError) await releaseAndThrow(deps, job, addError);
    },
    async addIdempotent(prepare, idempotent) {
      const job = await prepare();
      const outcome = await enqueueOrUnavailable(() =>
        admission.admitAndAddIdempotent(queues.of(job.jobId), job.body, { name: job.lane, data: job.data, opts: job.opts }, job.limitSubject),
      );
      if ('spent' in outcome) throw idempotencySpent(job.jobId);
      if ('duplicate' in outcome) {
        const stored = await storedRequest(queues, job.jobId);
        // Gone between the script and this read (removed, e.g. its caller's timeout dropped it): say so, retryable.
        if (!stored) throw queueUnavailable();
        return joinOrConflict(idempotent, stored);
      }
      if (outcome.addError) await releaseAndThrow(deps, job, outcome.addError);
      return 'created';
    },
  };
}

/**
 * Admission (one script: rate limit and reservation), then BullMQ's add: on a Redis Cluster (the limits and the
 * queue live in different slots), with limits off, or with a BullMQ whose add cannot be gated. An idempotent job is
 * looked up first and after: BullMQ's add keeps the first of two racing adds, and the reservation (keyed by job id)
 * is taken once.
 */
export function twoStepAdmission(deps: PathDeps): AdmissionPath {
  const { queues, admission } = deps;
  const add = async (job: PreparedJob): Promise<void> => {
    const admitted = await admission.admit(job.body, job.jobId, job.limitSubject);
    await enqueueOrUnavailable(() => queues.of(job.jobId).add(job.lane, job.data(admitted.reservedUsd), job.opts)).catch((error: unknown) =>
      releaseAndThrow(deps, job, error),
    );
  };
  return {
    add,
    async addIdempotent(prepare, idempotent) {
      const before = await storedRequest(queues, idempotent.jobId);
      if (before) return joinOrConflict(idempotent, before);
      // Billed and no longer kept: running it again would be free (billing is once per job id), so the key is spent.
      if (await enqueueOrUnavailable(() => admission.keySpent(idempotent.jobId))) throw idempotencySpent(idempotent.jobId);
      await add(await prepare());
      // Two requests with one key raced past the look above: BullMQ kept the first add; the reservation was taken once.
      const after = await storedRequest(queues, idempotent.jobId);
      return after && after.request_id !== idempotent.requestId ? joinOrConflict(idempotent, after) : 'created';
    },
  };
}
