import { providerIdSchema } from '@gateway/contracts';
import { runLuaScript, watchChannel, type ChannelWatch, type QueuePrefix, type RedisClient } from '@gateway/queue';
import { resilienceKeys } from './keys';
import { breakerScripts } from './lua-scripts';

/** A circuit's state as kept in Redis. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** What breaker-acquire-1.lua answers (negative: skip the provider). */
export enum AcquireCode {
  /** Closed, no failure counted. */
  Closed = 1,
  Trial = 2,
  /** Closed, with failures counted that a success resets. */
  ClosedWithFailures = 3,
  Open = -1,
  TrialInFlight = -2,
}

/** The outcome of a call as the circuit counts it. */
export type CallOutcome = 'success' | 'failure' | 'neutral';

const stateByCode: readonly CircuitState[] = ['closed', 'open', 'half_open'];

export interface CircuitBreakerOptions {
  /** A `command` connection (fails fast while Redis is down). */
  redis: RedisClient;
  prefix: QueuePrefix;
  /** Consecutive failures that open a closed circuit (CIRCUIT_FAILURE_THRESHOLD). */
  failureThreshold: number;
  /** Time an open circuit waits before one trial call (CIRCUIT_RESET_TIME_MS). */
  resetTimeMs: number;
  /** How long a trial may run before another worker may try (covers a worker dying mid-trial). */
  trialLeaseMs: number;
  /** Circuits besides the providers' (the deployments of GATEWAY_CONFIG_FILE): a watching breaker reads them back too. */
  circuits?: readonly string[];
}

/** A circuit as read for /v1/providers. */
export interface CircuitSnapshot {
  /** `open` past its reset time is reported `half_open`: the next call will be the trial. */
  state: CircuitState;
  consecutiveFailures: number;
  /** Unix ms (Redis time) when it last opened, or null. */
  openedAt: number | null;
}

export interface CircuitBreaker {
  /** May a call go to this provider? `trial` when it is the one half-open trial. */
  acquire(provider: string): Promise<{ allowed: boolean; trial: boolean; code: AcquireCode }>;
  /** Records a call's outcome; returns the state after it and whether this call changed it. */
  record(provider: string, outcome: CallOutcome): Promise<{ state: CircuitState; changed: boolean }>;
  snapshot(provider: string): Promise<CircuitSnapshot>;
  /**
   * Learns every circuit's changes on `subscriber` (a connection in subscriber mode, may be shared): while current,
   * `acquire` answers for a clean circuit (closed, no failure counted) without a Redis round trip. Resolves once
   * subscribed and current; returns the stop function.
   */
  watch(subscriber: RedisClient): Promise<() => Promise<void>>;
}

/** How often a watching breaker re-reads every circuit, in case an announcement was lost (a silent connection). */
const RESYNC_INTERVAL_MS = 5000;

/**
 * Per-provider circuits whose state lives in Redis: every worker sees (and moves) the same circuit, atomically.
 * A watching breaker also keeps, per provider, whether its circuit is clean (closed, no failure counted), as
 * announced by the record script when that changes (versioned, so a late read never undoes a newer announcement):
 * a healthy provider then costs no round trip before a call. Open, half-open or failing circuits, or a breaker
 * whose subscription is not current, ask Redis every time, as before.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const key = (provider: string) => resilienceKeys.breaker(options.prefix, provider);
  const channel = resilienceKeys.breakerChannel(options.prefix);
  const known = new Map<string, { clean: boolean; version: number }>();
  let watching: ChannelWatch | undefined;
  const learn = (provider: string, clean: boolean, version: number, force = false) => {
    const before = known.get(provider);
    if (force || !before || version >= before.version) known.set(provider, { clean, version });
  };

  return {
    async acquire(provider) {
      if (watching?.current() && known.get(provider)?.clean) return { allowed: true, trial: false, code: AcquireCode.Closed };
      const code = Number(
        await runLuaScript(options.redis, breakerScripts.acquire, [key(provider)], [options.resetTimeMs, options.trialLeaseMs]),
      ) as AcquireCode;
      return { allowed: code > 0, trial: code === AcquireCode.Trial, code };
    },
    async record(provider, outcome) {
      const reply = (await runLuaScript(
        options.redis,
        breakerScripts.record,
        [key(provider)],
        [outcome, options.failureThreshold, channel, provider],
      )) as number[];
      learn(provider, Number(reply[2]) === 1, Number(reply[3] ?? 0));
      return { state: stateByCode[Number(reply[0])] ?? 'closed', changed: Number(reply[1]) === 1 };
    },
    async snapshot(provider) {
      const [fields, time] = await Promise.all([options.redis.hgetall(key(provider)), options.redis.time()]);
      const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
      const openedAt = fields['opened_at'] ? Number(fields['opened_at']) : null;
      let state: CircuitState = fields['state'] === 'open' || fields['state'] === 'half_open' ? fields['state'] : 'closed';
      if (state === 'open' && openedAt !== null && now - openedAt >= options.resetTimeMs) state = 'half_open';
      return { state, consecutiveFailures: Number(fields['failures'] ?? 0), openedAt };
    },
    async watch(subscriber) {
      watching = await watchChannel(subscriber, channel, {
        onMessage: (payload) => {
          const [name, clean, version] = payload.split(' ');
          // A provider's circuit, or a deployment's (GATEWAY_CONFIG_FILE): any name the record script announced.
          if (name && (clean === '0' || clean === '1') && Number.isInteger(Number(version))) learn(name, clean === '1', Number(version));
        },
        readBack: async () => {
          const providers = [...new Set<string>([...providerIdSchema.options, ...(options.circuits ?? []), ...known.keys()])];
          const states = await Promise.all(providers.map((provider) => options.redis.hmget(key(provider), 'state', 'failures', 'version')));
          providers.forEach((provider, index) => {
            const [state, failures, version] = states[index] ?? [];
            // No hash at all: never failed (or reset by an operator), clean whatever was known.
            learn(
              provider,
              (state ?? 'closed') === 'closed' && Number(failures ?? 0) === 0,
              Number(version ?? 0),
              state === null && failures === null && version === null,
            );
          });
        },
        readBackEveryMs: RESYNC_INTERVAL_MS,
      });
      return watching.stop;
    },
  };
}

/** The gauge value of a state (gateway_circuit_breaker_state): 0 closed, 1 open, 2 half-open. */
export function circuitStateValue(state: CircuitState): number {
  return stateByCode.indexOf(state);
}
