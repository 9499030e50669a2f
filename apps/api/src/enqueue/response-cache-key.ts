import { createHash } from 'node:crypto';
import { chatParamsOf, type ChatRequest, type EmbeddingsWork } from '@gateway/contracts';
import { isEmbeddingsWork } from '../request-plan';

/** JSON with object keys in sorted order: the same request gives the same text whatever order its fields came in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The hash of what decides an answer, taken from the internal request (after the dialect's mapping and the model's
 * alias), so the same question asked through any dialect is one entry: the served model and every chat parameter
 * (messages, tools, sampling, limits, format, reasoning), or the embeddings inputs and their encoding. Left out: who
 * asks and how the answer travels (`agent_id`, `user`, `metadata`, `priority`, `resumable`, streaming).
 */
export function responseCacheHash(work: ChatRequest | EmbeddingsWork, model: string): string {
  const asked = isEmbeddingsWork(work) ? { kind: 'embeddings', embeddings: work.embeddings } : { kind: 'chat', ...chatParamsOf(work) };
  const { user: _user, metadata: _metadata, ...decisive } = asked as Record<string, unknown>;
  return createHash('sha256')
    .update(canonicalJson({ ...decisive, model }))
    .digest('base64url');
}
