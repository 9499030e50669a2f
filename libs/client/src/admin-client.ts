import type { ApiKeyView, CreateKeyRequest, CreatedKey, ListedKey, UpdateKeyRequest, UsageReport } from '@gateway/contracts';
import { httpSettings, sendJson, type CallOptions, type ConnectionOptions, type HttpSettings } from './http';

/** A key as `GET /admin/keys/:id` shows it: with its spend today and this month against its budgets. */
export type ApiKeyWithUsage = ApiKeyView & { usage: UsageReport };

/**
 * The operator's client: the keys API under /admin/keys, called with GATEWAY_ADMIN_TOKEN (agents' keys are
 * refused there). Give each agent or team the `key` of `createKey` as its GatewayLLMClient token.
 */
export class GatewayAdminClient {
  private readonly settings: HttpSettings;

  /** `token`: GATEWAY_ADMIN_TOKEN. */
  constructor(options: ConnectionOptions & { token: string }) {
    this.settings = httpSettings(options, 30_000);
  }

  /** Creates a key; its secret (`key`) is in this answer only. */
  createKey(settings: CreateKeyRequest, options: CallOptions = {}): Promise<CreatedKey> {
    return sendJson<CreatedKey>(this.settings, 'POST', '/admin/keys', settings, options);
  }

  /** Every key (revoked ones too), each with its spend today and this month against its budgets. */
  async listKeys(options: CallOptions = {}): Promise<ListedKey[]> {
    return (await sendJson<{ data: ListedKey[] }>(this.settings, 'GET', '/admin/keys', undefined, options)).data;
  }

  getKey(id: string, options: CallOptions = {}): Promise<ApiKeyWithUsage> {
    return sendJson<ApiKeyWithUsage>(this.settings, 'GET', `/admin/keys/${encodeURIComponent(id)}`, undefined, options);
  }

  /** Changes a key's settings; `null` clears one (a budget, the allow-list, the expiry). */
  updateKey(id: string, patch: UpdateKeyRequest, options: CallOptions = {}): Promise<ApiKeyView> {
    return sendJson<ApiKeyView>(this.settings, 'PATCH', `/admin/keys/${encodeURIComponent(id)}`, patch, options);
  }

  /** Revokes a key: refused on every API instance within a second. */
  revokeKey(id: string, options: CallOptions = {}): Promise<ApiKeyView> {
    return sendJson<ApiKeyView>(this.settings, 'DELETE', `/admin/keys/${encodeURIComponent(id)}`, undefined, options);
  }

  /** A new secret for the key; the old one stops working at once. */
  rotateKey(id: string, options: CallOptions = {}): Promise<CreatedKey> {
    return sendJson<CreatedKey>(this.settings, 'POST', `/admin/keys/${encodeURIComponent(id)}/rotate`, undefined, options);
  }
}
