import { modelAllowed, modelForbidden, notFound } from '@gateway/contracts';
import type { LimitSubject } from '@gateway/limits';
import { newGatewayId, type LaneMark } from '@gateway/queue';
import type { ApiKeyRecord } from './keys/key-store';

/**
 * Who sent a request, as authentication decided: nobody in particular (no token configured), the static
 * GATEWAY_AUTH_TOKEN (one key under the global limits), the operator (GATEWAY_ADMIN_TOKEN), or an API key.
 */
export type Caller = { kind: 'open' } | { kind: 'static' } | { kind: 'admin' } | { kind: 'key'; key: ApiKeyRecord };

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the authentication middleware on /v1 and /admin. */
    caller?: Caller;
  }
}

const nobody: Caller = { kind: 'open' };

/** The request's caller (open when no authentication ran). */
export const callerOf = (req: { caller?: Caller | undefined }): Caller => req.caller ?? nobody;

/** The key that owns what a caller creates (jobs, batches); undefined for callers without a key. */
export const ownerKeyOf = (caller: Caller): string | undefined => (caller.kind === 'key' ? caller.key.id : undefined);

/**
 * Who owns the work a caller creates, as its ids tell: the key's id, `admin` for the operator's (its own tenant), none
 * for the static token and open access.
 */
export const workOwnerOf = (caller: Caller): string | undefined => (caller.kind === 'admin' ? 'admin' : ownerKeyOf(caller));

/** Whether a caller may see or cancel work owned by `owner` (see ownerOfId): the operator sees all, the others their own. */
export function mayAccess(caller: Caller, owner: string | undefined): boolean {
  if (caller.kind === 'admin') return true;
  return workOwnerOf(caller) === owner;
}

/** A key's pinned agent wins over the one the body names (agent_id stays a label; it never picks a rate bucket for a key). */
export function agentIdFor(caller: Caller, bodyAgentId: string | undefined): string | undefined {
  return caller.kind === 'key' && caller.key.agent_id !== null ? caller.key.agent_id : bodyAgentId;
}

/** A caller's weight in the lanes' fair share: its key's `share_weight`, else 1. */
export function shareWeightOf(caller: Caller): number {
  return caller.kind === 'key' ? (caller.key.share_weight ?? 1) : 1;
}

/**
 * Whose limits a request is admitted under: the key's bucket and budgets beside the global ones, else the agent's
 * bucket and its caller's above it (so rotating agent_id cannot escape the caller's rate).
 */
export function limitSubjectOf(caller: Caller, agentId: string | undefined): LimitSubject {
  if (caller.kind !== 'key') return { agentId, caller: caller.kind };
  const { key } = caller;
  return {
    agentId,
    key: {
      id: key.id,
      ...(key.rate_rps !== null ? { ratePerSecond: key.rate_rps } : {}),
      ...(key.rate_burst !== null ? { burst: key.rate_burst } : {}),
      ...(key.daily_budget_usd !== null ? { dailyLimitUsd: key.daily_budget_usd } : {}),
      ...(key.monthly_budget_usd !== null ? { monthlyLimitUsd: key.monthly_budget_usd } : {}),
    },
  };
}

/** 403 for a model outside the key's allow-list (before anything is reserved or enqueued). */
export function assertModelAllowed(caller: Caller, model: string): void {
  if (caller.kind !== 'key' || modelAllowed(caller.key.models, model)) return;
  throw modelForbidden(model, caller.key.models!);
}

const keyOwnedId = /^(key_[A-Za-z0-9]{16})_/;
const ownedId = /^(key_[A-Za-z0-9]{16}|admin)_/;

/**
 * A new job or batch id: a key's carry the key id in front (`key_…_<uuid>`), so who owns a job is read from its
 * id, at no Redis cost, wherever the id is looked up; then the mark of its lane's queue, if not interactive (job-ids.ts).
 */
export function newWorkId(caller: Caller, mark?: LaneMark): string {
  return newGatewayId(workOwnerOf(caller), mark);
}

/** The key that owns a job or batch id (see newWorkId); undefined for work made without a key. */
export function ownerKeyOfId(id: string): string | undefined {
  return keyOwnedId.exec(id)?.[1];
}

/** Who owns a job or batch id: its key's id, `admin`, or undefined (see workOwnerOf). */
export function ownerOfId(id: string): string | undefined {
  return ownedId.exec(id)?.[1];
}

/** 404 for work another tenant owns, the same answer as for work that does not exist. */
export function assertMayAccess(caller: Caller, id: string, what: 'job' | 'batch'): void {
  if (!mayAccess(caller, ownerOfId(id))) throw notFound(what, id, { retained: true });
}
