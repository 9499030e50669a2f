import { rateLimited } from '@gateway/contracts';
import type { Caller } from './caller';

export interface AttachCapsOptions {
  /** STREAM_ATTACH_MAX_PER_CALLER */
  perCaller: number;
  /** STREAM_ATTACH_MAX_PER_INSTANCE */
  perInstance: number;
  /** Called on each refusal (its metric). */
  onRefused?: () => void;
  /** Called with the places taken after each take and release (its gauge). */
  onChange?: (taken: number) => void;
}

/** A place a refused attach is told to retry for: attaches end when their streams do, seconds to minutes later. */
const RETRY_AFTER_SECONDS = 1;

/** Whose attaches count together: a key's, or those of the static token, the operator, or callers without a token. */
export function attachCallerOf(caller: Caller): string {
  return caller.kind === 'key' ? `key:${caller.key.id}` : caller.kind;
}

/**
 * How many clients are attached to kept streams on this API instance, per caller and in all: each attach takes a
 * place for as long as its client stays, and past either cap it is refused with 429 `rate_limited` (Retry-After).
 * Counted in this process: a caller may hold the per-caller cap on each instance.
 */
export function createAttachCaps(options: AttachCapsOptions) {
  const byCaller = new Map<string, number>();
  let total = 0;
  const refuse = (message: string): never => {
    options.onRefused?.();
    throw rateLimited(message, RETRY_AFTER_SECONDS);
  };
  return {
    /** Takes a place for the caller, or throws the 429; returns its release (which gives it back once, however often called). */
    take(caller: string): () => void {
      const held = byCaller.get(caller) ?? 0;
      if (held >= options.perCaller) refuse(`too many streams attached by this caller (${options.perCaller} at most)`);
      if (total >= options.perInstance) refuse(`too many streams attached on this instance (${options.perInstance} at most)`);
      byCaller.set(caller, held + 1);
      total += 1;
      options.onChange?.(total);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total -= 1;
        const left = (byCaller.get(caller) ?? 1) - 1;
        if (left > 0) byCaller.set(caller, left);
        else byCaller.delete(caller);
        options.onChange?.(total);
      };
    },
    /** Places taken now, in all. */
    size: () => total,
  };
}

export type AttachCaps = ReturnType<typeof createAttachCaps>;
