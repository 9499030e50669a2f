import { providerErrorSchema, type GatewayError, type ProviderErrorRecord } from '@gateway/contracts';
import type { QueuePrefix, RedisClient } from '@gateway/queue';
import { deploymentOf, type PlannedAttempt } from './failover';
import { resilienceKeys } from './keys';

/** Failures kept per deployment. */
export const PROVIDER_ERRORS_KEPT = 10;
/** A deployment that stops failing loses its list this long after its last failure. */
const PROVIDER_ERRORS_TTL_SECONDS = 7 * 24 * 3600;
/** The longest message kept (upstream error text can be long). */
const MESSAGE_MAX_CHARS = 300;

export interface ProviderErrorLogOptions {
  /** Removes secrets from an error's text before it is stored (an upstream may quote the key it was sent). */
  scrub?: (text: string) => string;
  clock?: () => number;
}

/**
 * The last failures of each deployment that counted against its circuit, shared by every worker (a capped Redis list
 * per deployment), for operators: what a circuit opened on. Only failures are written (a successful call costs
 * nothing here).
 */
export function createProviderErrorLog(redis: RedisClient, prefix: QueuePrefix, options: ProviderErrorLogOptions = {}) {
  const scrub = options.scrub ?? ((text: string) => text);
  const now = options.clock ?? Date.now;
  return {
    async record(attempt: PlannedAttempt, error: GatewayError): Promise<void> {
      const deployment = deploymentOf(attempt);
      const message = scrub(error.message);
      const entry: ProviderErrorRecord = {
        time: new Date(now()).toISOString(),
        provider: attempt.provider,
        deployment,
        model: attempt.model,
        type: error.type,
        status: error.details.upstreamStatus ?? null,
        message: message.length > MESSAGE_MAX_CHARS ? `${message.slice(0, MESSAGE_MAX_CHARS)}…` : message,
      };
      const key = resilienceKeys.providerErrors(prefix, deployment);
      await redis
        .multi()
        .lpush(key, JSON.stringify(entry))
        .ltrim(key, 0, PROVIDER_ERRORS_KEPT - 1)
        .expire(key, PROVIDER_ERRORS_TTL_SECONDS)
        .exec();
    },

    /** The last failures of each deployment named, newest first (an unreadable entry is skipped). */
    async read(deployments: readonly string[]): Promise<Record<string, ProviderErrorRecord[]>> {
      const lists = await Promise.all(deployments.map((deployment) => redis.lrange(resilienceKeys.providerErrors(prefix, deployment), 0, -1)));
      return Object.fromEntries(
        deployments.map((deployment, index) => [
          deployment,
          lists[index]!.flatMap((text) => {
            try {
              const parsed = providerErrorSchema.safeParse(JSON.parse(text));
              return parsed.success ? [parsed.data] : [];
            } catch {
              return [];
            }
          }),
        ]),
      );
    },
  };
}

export type ProviderErrorLog = ReturnType<typeof createProviderErrorLog>;
