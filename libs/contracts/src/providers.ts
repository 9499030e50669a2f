import { z } from 'zod';
import { deploymentViewSchema } from './deployments';
import { providerIdSchema } from './provider-id';

const count = z.number().int().nonnegative();

/** One provider in `GET /v1/providers`: configuration, role, circuit and the call counts shared by every instance. */
export const providerViewSchema = z.object({
  id: providerIdSchema,
  configured: z.boolean(),
  role: z.enum(['primary', 'fallback', 'unused']),
  deprecated: z.boolean(),
  /** Only on deprecated providers. */
  warning: z.string().optional(),
  /**
   * Its own circuit, or (with deployments of it in GATEWAY_CONFIG_FILE, each with a circuit of its own) the one they
   * make together: closed while every one is closed, open once every one is open, half_open otherwise.
   */
  circuit: z.object({
    state: z.enum(['closed', 'open', 'half_open']),
    consecutive_failures: z.number().int().nonnegative(),
    /** ISO time the circuit opened, null while closed. */
    opened_at: z.string().nullable(),
    /** Where the state comes from: the provider's own circuit, or its deployments' (GATEWAY_CONFIG_FILE). */
    source: z.enum(['provider', 'deployments']),
    /** Its deployments' circuits by state (its own circuit alone, counted once, with source `provider`). */
    deployments: z.object({ closed: count, open: count, half_open: count }),
  }),
  calls: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  failovers: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
});
export type ProviderView = z.infer<typeof providerViewSchema>;

/** Body of `GET /v1/providers`. */
export const providersViewSchema = z.object({ providers: z.array(providerViewSchema), deployments: z.array(deploymentViewSchema) });
export type ProvidersView = z.infer<typeof providersViewSchema>;
