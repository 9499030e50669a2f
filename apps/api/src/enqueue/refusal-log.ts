import { GatewayError, httpStatusByErrorType } from '@gateway/contracts';
import { apiLogEntry, appendApiLogEntry, type ApiLogDeps } from './api-log-entry';
import type { EnqueueRequest } from './prepared-job';

export type RefusalLogDeps = ApiLogDeps;

/**
 * A request the enqueue refused (403 model, 400 field no provider honours, 429 rate, 402 budget, 409, 503): its entry
 * in the request log, since no job will write one. Sent without waiting: the refusal is answered at once.
 */
function logRefusal(deps: RefusalLogDeps, request: EnqueueRequest, error: unknown, defaultModel: string): void {
  if (!deps.log.enabled || !(error instanceof GatewayError)) return;
  const cache = request.extras?.responseCache !== undefined ? 'miss' : 'bypass';
  appendApiLogEntry(deps, apiLogEntry(request.req, request.body, defaultModel, { status: httpStatusByErrorType[error.type], error_type: error.type, cache }));
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
