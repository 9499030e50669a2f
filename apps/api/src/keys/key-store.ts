import { createHash, randomBytes } from 'node:crypto';
import { KEY_SECRET_PREFIX, keyRevoked, notFound, type ApiKeyView, type CreatedKey, type CreateKeyRequest, type UpdateKeyRequest } from '@gateway/contracts';
import type { LimitsPrefix, RedisClient } from '@gateway/queue';

/** A key as stored: its view plus the SHA-256 of its secret (the secret itself is never stored). */
export interface ApiKeyRecord extends ApiKeyView {
  secret_hash: string;
}

/** The Redis keys of the key store (one hash tag: a create or rotate is one MULTI, also on a cluster). */
export const keyStoreKeys = {
  record: (prefix: LimitsPrefix, id: string) => `${prefix}:keys:{keys}:record:${id}`,
  bySecret: (prefix: LimitsPrefix, secretHash: string) => `${prefix}:keys:{keys}:secret:${secretHash}`,
  ids: (prefix: LimitsPrefix) => `${prefix}:keys:{keys}:ids`,
};

export const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

const alphanumeric = (bytes: number) =>
  randomBytes(bytes * 2)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, bytes);
const newSecret = () => `${KEY_SECRET_PREFIX}${randomBytes(24).toString('base64url')}`;

/** The view of a record: everything but the secret's hash. */
export function keyView(record: ApiKeyRecord): ApiKeyView {
  const { secret_hash: _hash, ...view } = record;
  return view;
}

function applyPatch(record: ApiKeyRecord, patch: UpdateKeyRequest): ApiKeyRecord {
  const next: ApiKeyRecord = { ...record };
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.agent_id !== undefined) next.agent_id = patch.agent_id;
  if (patch.daily_budget_usd !== undefined) next.daily_budget_usd = patch.daily_budget_usd;
  if (patch.monthly_budget_usd !== undefined) next.monthly_budget_usd = patch.monthly_budget_usd;
  if (patch.rate_rps !== undefined) next.rate_rps = patch.rate_rps;
  if (patch.rate_burst !== undefined) next.rate_burst = patch.rate_burst;
  if (patch.share_weight === null) delete next.share_weight;
  else if (patch.share_weight !== undefined) next.share_weight = patch.share_weight;
  if (patch.models !== undefined) next.models = patch.models;
  if (patch.expires_at !== undefined) next.expires_at = patch.expires_at === null ? null : new Date(patch.expires_at).toISOString();
  if (patch.metadata !== undefined) next.metadata = patch.metadata ?? {};
  return next;
}

/**
 * API keys in Redis: a record per key (JSON), an index from the SHA-256 of each live secret to its key, and the
 * set of ids. A revoked key keeps its record (for the audit trail) and loses its secret index entry.
 */
export function createKeyStore(redis: RedisClient, prefix: LimitsPrefix) {
  const load = async (id: string): Promise<ApiKeyRecord | undefined> => {
    const raw = await redis.get(keyStoreKeys.record(prefix, id));
    return raw === null ? undefined : (JSON.parse(raw) as ApiKeyRecord);
  };
  const loadOrThrow = async (id: string): Promise<ApiKeyRecord> => {
    const record = await load(id);
    if (!record) throw notFound('key', id, { maxIdChars: 64 });
    return record;
  };
  const save = (record: ApiKeyRecord) => redis.set(keyStoreKeys.record(prefix, record.id), JSON.stringify(record));

  return {
    async create(request: CreateKeyRequest): Promise<CreatedKey> {
      const secret = newSecret();
      const record: ApiKeyRecord = {
        id: `key_${alphanumeric(16)}`,
        name: request.name,
        key_prefix: secret.slice(0, 8),
        agent_id: request.agent_id ?? null,
        daily_budget_usd: request.daily_budget_usd ?? null,
        monthly_budget_usd: request.monthly_budget_usd ?? null,
        rate_rps: request.rate_rps ?? null,
        rate_burst: request.rate_burst ?? null,
        ...(request.share_weight !== undefined && request.share_weight > 1 ? { share_weight: request.share_weight } : {}),
        models: request.models ?? null,
        expires_at: request.expires_at ? new Date(request.expires_at).toISOString() : null,
        metadata: request.metadata ?? {},
        created_at: new Date().toISOString(),
        revoked_at: null,
        secret_hash: hashSecret(secret),
      };
      await redis
        .multi()
        .set(keyStoreKeys.record(prefix, record.id), JSON.stringify(record))
        .set(keyStoreKeys.bySecret(prefix, record.secret_hash), record.id)
        .sadd(keyStoreKeys.ids(prefix), record.id)
        .exec();
      return { ...keyView(record), key: secret };
    },

    /** The live key a secret opens, or undefined (unknown or revoked). */
    async findBySecret(secretHash: string): Promise<ApiKeyRecord | undefined> {
      const id = await redis.get(keyStoreKeys.bySecret(prefix, secretHash));
      if (id === null) return undefined;
      const record = await load(id);
      return record && record.revoked_at === null && record.secret_hash === secretHash ? record : undefined;
    },

    get: loadOrThrow,

    async list(): Promise<ApiKeyRecord[]> {
      const ids = (await redis.smembers(keyStoreKeys.ids(prefix))).sort();
      const records = await Promise.all(ids.map((id) => load(id)));
      return records.filter((record): record is ApiKeyRecord => record !== undefined);
    },

    async update(id: string, patch: UpdateKeyRequest): Promise<ApiKeyRecord> {
      const next = applyPatch(await loadOrThrow(id), patch);
      await save(next);
      return next;
    },

    /** Revokes a key: its secret stops opening anything (the record stays, with `revoked_at`). */
    async revoke(id: string): Promise<ApiKeyRecord> {
      const record = await loadOrThrow(id);
      if (record.revoked_at !== null) return record;
      const next = { ...record, revoked_at: new Date().toISOString() };
      await redis.multi().set(keyStoreKeys.record(prefix, id), JSON.stringify(next)).del(keyStoreKeys.bySecret(prefix, record.secret_hash)).exec();
      return next;
    },

    /** A new secret for the key (the old one stops working at once); refused for a revoked key. */
    async rotate(id: string): Promise<{ created: CreatedKey; oldSecretHash: string }> {
      const record = await loadOrThrow(id);
      if (record.revoked_at !== null) throw keyRevoked(id);
      const secret = newSecret();
      const next: ApiKeyRecord = { ...record, key_prefix: secret.slice(0, 8), secret_hash: hashSecret(secret) };
      await redis
        .multi()
        .set(keyStoreKeys.record(prefix, id), JSON.stringify(next))
        .del(keyStoreKeys.bySecret(prefix, record.secret_hash))
        .set(keyStoreKeys.bySecret(prefix, next.secret_hash), id)
        .exec();
      return { created: { ...keyView(next), key: secret }, oldSecretHash: record.secret_hash };
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
