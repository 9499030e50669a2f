import { type ChatJobResult, type RequestLogRecord } from '@gateway/contracts';
import { noTokenCounts, tokenCountsOf, type RequestLog } from '@gateway/limits';
import type { Logger } from '@gateway/observability';
import type { Request, Response } from 'express';
import { agentIdFor, callerOf, ownerKeyOf } from '../caller';
import { jobOrigin, type JobOriginRequest } from './job-origin';

/** Where the API appends the entries of requests that end without a job (refused, or answered from the cache). */
export interface ApiLogDeps {
  log: RequestLog;
  logger: Logger;
}

/** The request log's entry of a request the API ended itself: who asked, by which route, for which model. */
export function apiLogEntry(
  req: Pick<Request, 'id' | 'caller'> & JobOriginRequest,
  body: { model?: string | undefined; agent_id?: string | undefined },
  defaultModel: string,
  end: Pick<RequestLogRecord, 'status' | 'error_type' | 'cache'> & Partial<Pick<RequestLogRecord, 'latency_ms' | 'provider'>> & { result?: ChatJobResult },
): RequestLogRecord {
  const caller = callerOf(req);
  const provider = end.provider ?? end.result?.provider ?? null;
  return {
    time: new Date().toISOString(),
    request_id: req.id,
    job_id: null,
    key_id: ownerKeyOf(caller) ?? null,
    agent_id: agentIdFor(caller, body.agent_id) ?? null,
    route: jobOrigin(req).route ?? null,
    model: body.model ?? defaultModel,
    provider,
    deployment: provider,
    status: end.status,
    error_type: end.error_type,
    latency_ms: end.latency_ms ?? 0,
    ttft_ms: null,
    queue_ms: null,
    tokens: end.result ? tokenCountsOf(end.result.usage) : { ...noTokenCounts },
    cost_usd: 0,
    cache: end.cache,
  };
}

/** Appends an entry without waiting: the answer it describes is not held back by a round trip. */
export function appendApiLogEntry({ log, logger }: ApiLogDeps, record: RequestLogRecord): void {
  if (!log.enabled) return;
  log.append(record).catch((error: unknown) => logger.warn({ err: error }, 'could not log the request'));
}

/** Milliseconds since the request arrived (request-context.ts notes its start), 0 when unknown. */
export function requestAgeMs(res: Response): number {
  const started = res.locals['startedAt'] as number | undefined;
  return started === undefined ? 0 : Math.max(0, Math.round(performance.now() - started));
}
