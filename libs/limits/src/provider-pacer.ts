import { providerIdSchema, type Lane, type ProviderId } from '@gateway/contracts';
import { watchChannel, type ChannelWatch, type LimitsPrefix, type RedisClient } from '@gateway/queue';
import { limitKeys } from './keys';
import { LimitScriptCode, runIntegerScript, scripts } from './scripts';

/** Options of the provider pacer. */
export interface ProviderPacerOptions {
  redis: RedisClient;
  prefix: LimitsPrefix;
  /** Requests per minute per provider (PROVIDER_RPM); a provider absent here is only paused after a 429. */
  rpm: Readonly<Partial<Record<ProviderId, number>>>;
  /** The longest pause a 429's Retry-After may set (PROVIDER_MAX_PAUSE_MS); absent: 60 s. */
  maxPauseMs?: number;
  /**
   * The share of a provider's burst kept for interactive calls (PROVIDER_INTERACTIVE_RESERVE): the bucket holds
   * that much more than its burst, and job and batch calls never take it. Absent: 0.25.
   */
  interactiveReserve?: number;
  /** Clock in ms; absent: the Redis server's TIME. */
  clock?: () => number;
}

/** Whether a provider may be called now, or how long to wait. */
export type PaceDecision = { go: true } | { go: false; waitMs: number; reason: 'rate' | 'paused' };

/** How often a watching pacer re-reads every pause, in case an announcement was lost (a silent connection). */
const PAUSE_READ_BACK_MS = 5000;

const DEFAULT_MAX_PAUSE_MS = 60_000;
const DEFAULT_INTERACTIVE_RESERVE = 0.25;

/**
 * How much later than interactive calls each lower lane tries again after a 429 pause: when the pause ends, the
 * provider's first calls are interactive ones.
 */
const PAUSE_LANE_GAP_MS: Readonly<Record<Lane, number>> = { interactive: 0, job: 250, batch: 500 };

/** A pause as announced on the pause channel. */
interface PauseEvent {
  provider: ProviderId;
  ms: number;
}

function parsePauseEvent(payload: string): PauseEvent | undefined {
  try {
    const parsed = JSON.parse(payload) as Partial<PauseEvent>;
    const provider = providerIdSchema.safeParse(parsed.provider);
    if (!provider.success || typeof parsed.ms !== 'number' || !Number.isFinite(parsed.ms) || parsed.ms <= 0) return undefined;
    return { provider: provider.data, ms: parsed.ms };
  } catch {
    return undefined;
  }
}

/**
 * Paces calls to each provider across every worker: a Redis token bucket per provider refilled at rpm/60 per
 * second with a one-second burst (at least one call), and a pause set after the upstream answered 429.
 *
 * A provider without an rpm is only ever paused, and pauses are rare: a pacer that watches the pause channel
 * (`watchPauses`) knows them locally and answers for such a provider without a Redis round trip. It falls back to
 * asking Redis whenever its subscription is not known to be current (before the first subscribe, after a
 * disconnect until it has re-read every pause).
 */
export function createProviderPacer(options: ProviderPacerOptions) {
  const channel = limitKeys.providerPauseChannel(options.prefix);
  /** Local ms until which a provider is paused, as learnt from the channel (or read back after a reconnect). */
  const pausedUntil = new Map<ProviderId, number>();
  let watch: ChannelWatch | undefined;

  const notePause = (provider: ProviderId, ms: number) => {
    const until = Date.now() + ms;
    if ((pausedUntil.get(provider) ?? 0) < until) pausedUntil.set(provider, until);
  };

  const pacer = {
    /**
     * Takes a call from the provider's budget for a job of `lane` (default interactive): interactive calls may
     * take the reserve, other lanes only what lies above it; after a pause, lower lanes wait a little longer.
     */
    async acquire(provider: ProviderId, lane: Lane = 'interactive'): Promise<PaceDecision> {
      const rpm = options.rpm[provider] ?? 0;
      const gapMs = PAUSE_LANE_GAP_MS[lane];
      if (rpm <= 0 && watch?.current()) {
        const left = (pausedUntil.get(provider) ?? 0) - Date.now();
        return left > 0 ? { go: false, waitMs: left + gapMs, reason: 'paused' } : { go: true };
      }
      const perSecond = rpm / 60;
      const burst = Math.max(1, Math.ceil(perSecond));
      // The reserve sits on top of the burst (a fraction of a call for a slow provider: a lower lane's call then
      // waits for its token and the reserve, an interactive call for its token only, so it comes first).
      const reserve = rpm > 0 ? burst * (options.interactiveReserve ?? DEFAULT_INTERACTIVE_RESERVE) : 0;
      const [code = 0, waitMs = 0] = await runIntegerScript(
        options.redis,
        scripts.providerPace,
        [limitKeys.providerBucket(options.prefix, provider), limitKeys.providerPause(options.prefix, provider)],
        [perSecond, burst + reserve, options.clock ? options.clock() : '', lane === 'interactive' ? 0 : reserve],
      );
      if (code > 0) return { go: true };
      if (code === LimitScriptCode.RateLimited) return { go: false, waitMs, reason: 'rate' };
      if (code === LimitScriptCode.Paused) return { go: false, waitMs: waitMs + gapMs, reason: 'paused' };
      throw new Error(`provider pacing refused with code ${code}`);
    },

    /**
     * Pauses every worker's calls to the provider for `ms` (after an upstream 429), at most maxPauseMs: an
     * upstream's Retry-After of a day must not stop the gateway for a day. A longer pause already set is kept.
     */
    async pause(provider: ProviderId, requestedMs: number): Promise<void> {
      const ms = Math.min(requestedMs, options.maxPauseMs ?? DEFAULT_MAX_PAUSE_MS);
      const key = limitKeys.providerPause(options.prefix, provider);
      const left = await options.redis.pttl(key);
      if (left >= ms) return;
      const duration = Math.max(1, Math.round(ms));
      await options.redis.set(key, '1', 'PX', duration);
      notePause(provider, duration);
      await options.redis.publish(channel, JSON.stringify({ provider, ms: duration } satisfies PauseEvent));
    },

    /**
     * Learns of every pacer's pauses on `subscriber` (a connection in subscriber mode, may be shared with other
     * channels). Resolves once subscribed and current; returns the unsubscribe.
     */
    async watchPauses(subscriber: RedisClient): Promise<() => Promise<void>> {
      const watching = await watchChannel(subscriber, channel, {
        onMessage: (payload) => {
          const event = parsePauseEvent(payload);
          if (event) notePause(event.provider, event.ms);
        },
        readBack: async () => {
          const providers = providerIdSchema.options;
          const left = await Promise.all(providers.map((provider) => options.redis.pttl(limitKeys.providerPause(options.prefix, provider))));
          providers.forEach((provider, index) => {
            if ((left[index] ?? 0) > 0) notePause(provider, left[index]!);
          });
        },
        readBackEveryMs: PAUSE_READ_BACK_MS,
      });
      watch = watching;
      return watching.stop;
    },
  };
  return pacer;
}

export type ProviderPacer = ReturnType<typeof createProviderPacer>;
