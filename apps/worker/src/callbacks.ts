import { UnrecoverableError, type Worker } from 'bullmq';
import { callbackUrlProblem, type ChatJobData, type ChatJobResult, type JobView } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { Logger } from '@gateway/observability';
import {
  callbackSubject,
  enqueueCallback,
  errorFromFailedReason,
  isJobCancelled,
  type CallbackJobData,
  type CallbackQueue,
  type RedisClient,
} from '@gateway/queue';
import type { Job } from 'bullmq';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { createCallbackAddressPolicy, createCheckedLookup } from './callback-address';
import { CALLBACK_SIGNATURE_HEADER, callbackSignature } from './callback-signature';

/** What a callback delivery needs: the allow-list, the signing secret, timeouts. */
export interface CallbackDeliveryOptions {
  config: Pick<Config, 'jobs'>;
  logger: Logger;
}

/**
 * Delivers one callback: POSTs the job's view as JSON, signed (X-Gateway-Signature) when JOB_CALLBACK_SECRET is
 * set. Non-2xx answers and network errors throw, so BullMQ retries with backoff; a URL no longer allowed (the
 * operator changed the list) or a host resolving to an address the list does not allow is dropped at once.
 * No redirects: a redirect could lead to a host the operator did not allow.
 */
export function createCallbackDelivery(options: CallbackDeliveryOptions) {
  const { jobs } = options.config;
  const allowedAddress = createCallbackAddressPolicy(jobs.callbackAllowedHosts);
  const agent = new Agent({ connect: { lookup: createCheckedLookup(allowedAddress), timeout: jobs.callbackTimeoutMs } });
  const refuse = (jobId: string, problem: string): never => {
    options.logger.warn({ jobId, reason: problem }, 'callback refused');
    throw new UnrecoverableError(problem);
  };
  const deliver = async (job: Job<CallbackJobData>): Promise<{ status: number }> => {
    const { url, payload } = job.data;
    const problem = callbackUrlProblem(url, jobs.callbackAllowedHosts);
    if (problem) return refuse(callbackSubject(payload), problem);
    const literal = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && !allowedAddress(literal))
      return refuse(callbackSubject(payload), `callback address ${literal} is private and not in the allowed callback hosts`);
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'llm-gateway-callback' };
    if (jobs.callbackSecret !== undefined) headers[CALLBACK_SIGNATURE_HEADER] = callbackSignature(jobs.callbackSecret, body);
    let status: number;
    try {
      const response = await request(url, { method: 'POST', headers, body, dispatcher: agent, signal: AbortSignal.timeout(jobs.callbackTimeoutMs) });
      status = response.statusCode;
      await response.body.dump().catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ECALLBACKADDRESS') return refuse(callbackSubject(payload), (error as Error).message);
      throw error;
    }
    if (status < 200 || status >= 300) throw new Error(`callback answered HTTP ${status}`);
    options.logger.debug(
      { jobId: callbackSubject(payload), status, attempt: job.attemptsMade + 1, signed: jobs.callbackSecret !== undefined },
      'callback delivered',
    );
    return { status };
  };
  return deliver;
}

/** Enqueues a callback delivery whenever a chat job that asked for one finishes. */
export function watchFinishedJobs(
  worker: Worker<ChatJobData, ChatJobResult>,
  deps: { callbacks: CallbackQueue; redis: RedisClient; prefix: string; logger: Logger },
): void {
  const enqueue = (jobId: string, url: string, payload: JobView) =>
    enqueueCallback(deps.callbacks, url, payload).catch((error: unknown) => deps.logger.error({ err: error, jobId }, 'could not enqueue callback'));

  worker.on('completed', (job, result) => {
    if (!job.id || !job.data.callback_url) return;
    void enqueue(job.id, job.data.callback_url, { job_id: job.id, status: 'completed', result });
  });
  worker.on('failed', (job) => {
    if (!job?.id || !job.data.callback_url) return;
    const { id, data } = job;
    const url = data.callback_url!;
    void isJobCancelled(deps.redis, deps.prefix, id)
      .catch(() => false)
      .then((cancelled) => {
        if (cancelled) return enqueue(id, url, { job_id: id, status: 'cancelled' });
        const error = errorFromFailedReason(job.failedReason);
        return enqueue(id, url, {
          job_id: id,
          status: 'failed',
          error: { type: error.type, message: error.message, ...(error.details.attempts ? { attempts: error.details.attempts } : {}) },
        });
      });
  });
}
