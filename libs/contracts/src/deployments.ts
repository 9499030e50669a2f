import { z } from 'zod';
import { providerIdSchema } from './provider-id';

const count = z.number().int().nonnegative();

/** One deployment in `GET /v1/providers`: where calls go, its circuit, its use of the current window against its limits. */
export const deploymentViewSchema = z.object({
  id: z.string(),
  provider: providerIdSchema,
  /** A provider's implicit deployment (its env variables), named after it; false for those of GATEWAY_CONFIG_FILE. */
  implicit: z.boolean(),
  configured: z.boolean(),
  models: z.array(z.string()),
  weight: z.number().positive(),
  circuit: z.object({
    state: z.enum(['closed', 'open', 'half_open']),
    consecutive_failures: count,
    opened_at: z.string().nullable(),
  }),
  /** Calls in flight across every worker; null where not counted (implicit deployments). */
  in_flight: count.nullable(),
  /** Requests and tokens counted over the last window, null where not counted (implicit deployments). */
  requests: count.nullable(),
  tokens: z.number().int().nullable(),
  limits: z.object({ rpm: count.nullable(), tpm: count.nullable(), max_concurrency: count.nullable() }),
  /** The window rpm and tpm count over, seconds (60). */
  window_seconds: z.number().positive(),
  /** ISO time a 429 paused it until; null when not paused. */
  paused_until: z.string().nullable(),
});
export type DeploymentView = z.infer<typeof deploymentViewSchema>;
