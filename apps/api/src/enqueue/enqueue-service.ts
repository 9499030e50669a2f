import { GatewayError } from '@gateway/contracts';
import { removeUnstartedJob } from '@gateway/queue';
import type { Admission } from '../admission';
import { ownerKeyOfId } from '../caller';
import { fusedAdmission, twoStepAdmission } from './admission-paths';
import { prepareJob, type EnqueueRequest, type PrepareDeps } from './prepared-job';
import { loggingRefusals, type RefusalLogDeps } from './refusal-log';

/** What became of an enqueue: a new job, or (same Idempotency-Key, same request) the job that already exists. */
export type EnqueueOutcome = 'created' | 'joined';

/**
 * The one way a chat job enters the queue, whatever the route or dialect: checks (403 model, 400 field no provider
 * honours), admission (429 rate limit, 402 budget), the add. A refusal throws its GatewayError; a Redis outage
 * throws `unavailable` (503). Batches admit their requests through the same admission, all at once (batch-creation.ts).
 */
export interface EnqueueService {
  enqueue(request: EnqueueRequest): Promise<EnqueueOutcome>;
  /**
   * Drops a job no worker has taken yet (its caller went away or gave up) and gives its reservation back, in its
   * key's ledger too; a job already running is left to its worker, which settles it. Never throws.
   */
  dropUnstarted(jobId: string): Promise<void>;
}

export interface EnqueueDeps extends PrepareDeps {
  admission: Admission;
  /** Where refused requests are logged (a job logs its own end). */
  refusals?: RefusalLogDeps;
}

/** The enqueue service; whether admission and add share one script is decided here, once (Admission.fusesEnqueue). */
export function createEnqueueService(deps: EnqueueDeps): EnqueueService {
  const { admission, queue } = deps;
  const path = admission.fusesEnqueue ? fusedAdmission(deps) : twoStepAdmission(deps);
  const service: EnqueueService = {
    async enqueue(request) {
      const prepare = () => prepareJob(deps, request);
      const requestHash = request.extras?.requestHash;
      if (requestHash === undefined) {
        await path.add(await prepare());
        return 'created';
      }
      try {
        const outcome = await path.addIdempotent(prepare, { jobId: request.jobId, requestId: request.req.id, requestHash });
        admission.countKeyed(outcome);
        return outcome;
      } catch (error) {
        if (error instanceof GatewayError && error.type === 'conflict') admission.countKeyed('conflict');
        throw error;
      }
    },
    async dropUnstarted(jobId) {
      try {
        if (await removeUnstartedJob(queue, jobId)) await admission.release(jobId, ownerKeyOfId(jobId));
      } catch {
        // Redis trouble: the reservation lapses with its lifetime.
      }
    },
  };
  return deps.refusals ? loggingRefusals(service, deps.refusals, deps.config.llm.defaultModel) : service;
}
