import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { callbackUrlProblem, type BatchView, type JobView } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { Logger } from '@gateway/observability';
import { callbackSubject, type CallbackJobData } from '@gateway/queue';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { createCallbackAddressPolicy, createCheckedLookup } from './callback-address';
import { CALLBACK_SIGNATURE_HEADER, callbackSignature } from './callback-signature';

/** A batch's end as its recorded delivery checks it. */
export interface BatchEndCheck {
  /** The batch's view now (`done` once every request has ended, or been cancelled or expired). */
  view: BatchView;
  /** How long the delivery waits before it checks again, while the batch has not ended (ms). */
  waitMs: number;
  /** Called once the delivery waits again: makes it due at once if the batch's last request ended meanwhile. */
  waiting: () => Promise<void>;
}

/** What a callback delivery needs: the allow-list, the signing secret, timeouts; for recorded deliveries, the jobs. */
export interface CallbackDeliveryOptions {
  config: Pick<Config, 'jobs'>;
  logger: Logger;
  /** Deliveries recorded before their job ran (`recordJobCallback`) read its outcome when they are made. */
  recorded?: {
    /** A job's view, as GET /v1/jobs shows it; undefined when the job is gone. */
    jobView: (jobId: string) => Promise<JobView | undefined>;
    /** How long such a delivery waits again while its job has not ended (ms). */
    recheckMs: number;
    /** A batch's end, for deliveries recorded when their batch was created; undefined when the batch is gone. */
    batchEnd?: (batchId: string) => Promise<BatchEndCheck | undefined>;
  };
}

/**
 * Delivers one callback: POSTs the job's view (or the batch's) as JSON, signed (X-Gateway-Signature) when JOB_CALLBACK_SECRET is
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
  /**
   * The payload: fixed when enqueued, or the job's outcome read now. A job still queued or running (its worker has
   * not ended it yet, or died and the job was taken over) is checked again later, without spending an attempt.
   */
  /**
   * A batch's view once it has ended, fixed in the delivery before it is first sent: every later attempt sends the
   * same body (receivers dedupe on batch_id). A batch still running is checked again later, without spending an attempt.
   */
  const batchPayload = async (job: Job<CallbackJobData>, url: string, batchId: string, token: string | undefined): Promise<BatchView> => {
    const batchEnd = options.recorded?.batchEnd;
    if (!batchEnd) throw new UnrecoverableError('this worker cannot read the end of a batch');
    const check = await batchEnd(batchId);
    if (!check) {
      options.logger.warn({ batchId }, 'callback dropped: its batch is gone');
      throw new UnrecoverableError(`batch ${batchId} is gone`);
    }
    if (check.view.done) {
      await job.updateData({ url, payload: check.view });
      return check.view;
    }
    await job.moveToDelayed(Date.now() + check.waitMs, token);
    await check.waiting().catch((error: unknown) => options.logger.warn({ err: error, batchId }, 'could not check the batch again: its callback waits'));
    throw new DelayedError();
  };
  const payloadOf = async (job: Job<CallbackJobData>, token: string | undefined): Promise<JobView | BatchView> => {
    const { data } = job;
    if ('payload' in data) return data.payload;
    if ('batch_id' in data) return batchPayload(job, data.url, data.batch_id, token);
    const { recorded } = options;
    if (!recorded) throw new UnrecoverableError('this worker cannot read the outcome of a recorded callback');
    const view = await recorded.jobView(data.job_id);
    if (!view) {
      options.logger.warn({ jobId: data.job_id }, 'callback dropped: its job is gone');
      throw new UnrecoverableError(`job ${data.job_id} is gone`);
    }
    if (view.status !== 'queued' && view.status !== 'active') return view;
    await job.moveToDelayed(Date.now() + recorded.recheckMs, token);
    throw new DelayedError();
  };
  const deliver = async (job: Job<CallbackJobData>, token?: string): Promise<{ status: number }> => {
    const { url } = job.data;
    const problem = callbackUrlProblem(url, jobs.callbackAllowedHosts);
    if (problem) return refuse(callbackSubject(job.data), problem);
    const literal = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && !allowedAddress(literal))
      return refuse(callbackSubject(job.data), `callback address ${literal} is private and not in the allowed callback hosts`);
    const body = JSON.stringify(await payloadOf(job, token));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'llm-gateway-callback' };
    if (jobs.callbackSecret !== undefined) headers[CALLBACK_SIGNATURE_HEADER] = callbackSignature(jobs.callbackSecret, body);
    let status: number;
    try {
      const response = await request(url, { method: 'POST', headers, body, dispatcher: agent, signal: AbortSignal.timeout(jobs.callbackTimeoutMs) });
      status = response.statusCode;
      await response.body.dump().catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ECALLBACKADDRESS') return refuse(callbackSubject(job.data), (error as Error).message);
      throw error;
    }
    if (status < 200 || status >= 300) throw new Error(`callback answered HTTP ${status}`);
    options.logger.debug(
      { jobId: callbackSubject(job.data), status, attempt: job.attemptsMade + 1, signed: jobs.callbackSecret !== undefined },
      'callback delivered',
    );
    return { status };
  };
  return deliver;
}
