/** How the mock fails, when told to. */
export type MockFailMode = 'none' | 'upstream_error' | 'timeout' | 'invalid_request';

/** Options of the mock provider; a model name can override them per request (see parseMockDirectives). */
export interface MockOptions {
  /** Fixed reply; when absent the mock answers `Mock reply to: <last user message>`. */
  reply?: string | undefined;
  latencyMs?: number;
  fail?: MockFailMode;
  /**
   * PROVIDER_TIMEOUT_MS: a call whose latency and chunk delays add up past it ends as a `timeout` at that
   * point, as a real provider's call would be cut off (default 60 s).
   */
  timeoutMs?: number;
}

export interface MockDirectives {
  reply: string | undefined;
  latencyMs: number;
  chunkDelayMs: number;
  fail: MockFailMode;
  /** Assistant turns with tool calls before the mock answers with text (`tool_rounds=2`, default 1). */
  toolRounds: number;
}

/** Upper bounds of what a model name may ask of the mock: it must cost no more than a real call. */
export const mockLimits = {
  /** Assistant turns with tool calls. */
  toolRounds: 10,
  /** Text chunks of a streamed answer (the rest of the reply comes in the last one). */
  chunks: 1000,
  /** Characters of a `reply=` directive. */
  replyChars: 10_000,
} as const;

const failModes: readonly MockFailMode[] = ['none', 'upstream_error', 'timeout', 'invalid_request'];

/**
 * Per-request behaviour from the model name, e.g. `echo?latency=200&fail=upstream_error&chunk_delay=5&reply=hi&tool_rounds=2`:
 * lets tests and demos drive the mock without restarting it. Delays are cut at the call's deadline (the
 * adapter's timeoutMs), counts at mockLimits.
 */
export function parseMockDirectives(model: string, defaults: MockOptions): MockDirectives {
  const query = model.includes('?') ? new URLSearchParams(model.slice(model.indexOf('?') + 1)) : new URLSearchParams();
  const timeoutMs = defaults.timeoutMs ?? 60_000;
  const number = (name: string, fallback: number, max: number) => {
    const raw = query.get(name);
    const value = raw === null ? NaN : Number(raw);
    return Math.min(Number.isFinite(value) && value >= 0 ? value : fallback, max);
  };
  const fail = query.get('fail');
  // One past the deadline is enough to say "cut off": the adapter then ends the call as a timeout.
  return {
    reply: (query.get('reply') ?? defaults.reply)?.slice(0, mockLimits.replyChars),
    latencyMs: number('latency', defaults.latencyMs ?? 0, timeoutMs + 1),
    chunkDelayMs: number('chunk_delay', 0, timeoutMs + 1),
    fail: fail !== null && (failModes as readonly string[]).includes(fail) ? (fail as MockFailMode) : (defaults.fail ?? 'none'),
    toolRounds: Math.floor(number('tool_rounds', 1, mockLimits.toolRounds)),
  };
}
