import { GatewayError, httpStatusByErrorType, type RequestLogRecord } from '@gateway/contracts';
import type { RequestLog } from '@gateway/limits';
import type { Logger } from '@gateway/observability';
import { agentIdFor, callerOf, ownerKeyOf } from '../caller';
import { jobOrigin } from './job-origin';
import type { EnqueueRequest } from './prepared-job';

export interface RefusalLogDeps {
  log: RequestLog;
  logger: Logger;
}

/**
 * A request the enqueue refused (403 model, 400 field no provider honours, 429 rate, 402 budget, 409, 503): its entry
 * in the request log, since no job will write one. Sent without waiting: the refusal is answered at once.
 */
function logRefusal({ log, logger }: RefusalLogDeps, request: EnqueueRequest, error: unknown, defaultModel: string): void {
  if (!log.enabled || !(error instanceof GatewayError)) return;
  const { req, body } = request;
  const caller = callerOf(req);
  const record: RequestLogRecord = {
    time: new Date().toISOString(),
    request_id: req.id,
    job_id: null,
    key_id: ownerKeyOf(caller) ?? null,
    agent_id: agentIdFor(caller, body.agent_id) ?? null,
    route: jobOrigin(req).route ?? null,
    model: body.model ?? defaultModel,
    provider: null,
    deployment: null,
    status: httpStatusByErrorType[error.type],
    error_type: error.type,
    latency_ms: 0,
    ttft_ms: null,
    queue_ms: null,
    tokens: { prompt: 0, cached: 0, completion: 0, reasoning: 0 },
    cost_usd: 0,
    cache: 'miss',
  };
  log.append(record).catch((appendError: unknown) => logger.warn({ err: appendError }, 'could not log the refused request'));
}

/** The enqueue service (any service with its `enqueue`), each refusal logged before it is thrown on. */
export function loggingRefusals<Service extends { enqueue(request: EnqueueRequest): Promise<unknown> }>(
  service: Service,
  deps: RefusalLogDeps,
  defaultModel: string,
): Service {
  if (!deps.log.enabled) return service;
  return {
    ...service,
    enqueue: (request: EnqueueRequest) =>
      service.enqueue(request).catch((error: unknown) => {
        logRefusal(deps, request, error, defaultModel);
        throw error;
      }),
  };
}
