import { z } from 'zod';

/** A model allow-list entry: a model name where `*` matches any run of characters (`openai/*`, `ollama/*`). */
const modelGlobSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9._:/?*=&@+-]+$/, 'letters, digits and . _ : / ? * = & @ + - only');

const usd = z.number().nonnegative().max(1_000_000);
const metadataSchema = z.record(z.string().min(1).max(64), z.string().max(512)).refine((record) => Object.keys(record).length <= 16, 'at most 16 keys');

/** The settings of an API key, as `POST /admin/keys` takes them. */
export const keySettingsShape = {
  name: z.string().min(1).max(128),
  /** Pinned: every request made with the key is this agent's (the body's agent_id is ignored). */
  agent_id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only')
    .optional(),
  daily_budget_usd: usd.optional(),
  monthly_budget_usd: usd.optional(),
  rate_rps: z.number().positive().max(100_000).optional(),
  rate_burst: z.number().int().min(1).max(1_000_000).optional(),
  /** The key's weight in the lanes' fair share: it takes this many turns per round of the others' one (default 1). */
  share_weight: z.number().int().min(1).max(16).optional(),
  models: z.array(modelGlobSchema).min(1).max(100).optional(),
  /** ISO 8601 date-time after which the key is refused. */
  expires_at: z.iso.datetime({ offset: true }).optional(),
  metadata: metadataSchema.optional(),
};

export const createKeyRequestSchema = z.strictObject(keySettingsShape);
export type CreateKeyRequest = z.infer<typeof createKeyRequestSchema>;

/** `PATCH /admin/keys/:id`: the fields to change; `null` clears an optional one. */
export const updateKeyRequestSchema = z
  .strictObject({
    name: keySettingsShape.name.optional(),
    agent_id: keySettingsShape.agent_id.unwrap().nullable().optional(),
    daily_budget_usd: usd.nullable().optional(),
    monthly_budget_usd: usd.nullable().optional(),
    rate_rps: keySettingsShape.rate_rps.unwrap().nullable().optional(),
    rate_burst: keySettingsShape.rate_burst.unwrap().nullable().optional(),
    share_weight: keySettingsShape.share_weight.unwrap().nullable().optional(),
    models: keySettingsShape.models.unwrap().nullable().optional(),
    expires_at: keySettingsShape.expires_at.unwrap().nullable().optional(),
    metadata: metadataSchema.nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change');
export type UpdateKeyRequest = z.infer<typeof updateKeyRequestSchema>;

/** An API key as the admin API shows it (never its secret, only the first characters to recognise it). */
export const apiKeyViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The secret's first characters (`gwk_AbCd…`). */
  key_prefix: z.string(),
  agent_id: z.string().nullable(),
  daily_budget_usd: z.number().nullable(),
  monthly_budget_usd: z.number().nullable(),
  rate_rps: z.number().nullable(),
  rate_burst: z.number().nullable(),
  /** Set when the key weighs more than 1 in the fair share. */
  share_weight: z.number().optional(),
  models: z.array(z.string()).nullable(),
  expires_at: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof apiKeyViewSchema>;

/** `POST /admin/keys` and `POST /admin/keys/:id/rotate`: the key with its secret, shown this once. */
export const createdKeySchema = apiKeyViewSchema.extend({ key: z.string() });
export type CreatedKey = z.infer<typeof createdKeySchema>;

/** The form of a key id and of a key secret. */
export const KEY_ID_PATTERN = /^key_[A-Za-z0-9]{16}$/;
export const KEY_SECRET_PREFIX = 'gwk_';

/** Whether `model` is on an allow-list of globs (`*` any run of characters); no list allows every model. */
export function modelAllowed(models: readonly string[] | null | undefined, model: string): boolean {
  if (!models) return true;
  return models.some((glob) => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(model));
}
