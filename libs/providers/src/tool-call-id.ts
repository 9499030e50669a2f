import { randomBytes } from 'node:crypto';

/** An id for a tool call whose upstream gives none (Ollama), in OpenAI's `call_…` form. */
export function newToolCallId(): string {
  return `call_${randomBytes(12).toString('base64url')}`;
}
