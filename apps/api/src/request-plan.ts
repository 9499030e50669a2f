import { invalidRequest, type ChatParams } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { resolveRoute, servableAttempts, unservableMessage } from '@gateway/providers';
import { failoverChain, planAttempts, type PlannedAttempt } from '@gateway/resilience';

/**
 * The providers (and models) a request may be served by, as the workers will plan it, less those that cannot
 * honour one of its fields. Throws `invalid_request` naming the field when none can (before anything is enqueued
 * or reserved). `fieldPrefix` places the field in a larger body (`requests.3.`).
 */
export function servablePlan(
  config: Pick<Config, 'llm' | 'providers'>,
  request: ChatParams & { model?: string | undefined },
  fieldPrefix = '',
): PlannedAttempt[] {
  const route = resolveRoute(request.model ?? config.llm.defaultModel, { primary: config.llm.provider, defaultModel: config.llm.defaultModel });
  const { servable, refused } = servableAttempts(planAttempts(route, failoverChain(config)), request);
  if (servable.length === 0) throw invalidRequest(`${fieldPrefix}${unservableMessage(refused)}`);
  return servable;
}
