import type { Lane } from '@gateway/contracts';
import type { LimitsPrefix, RedisClient } from '@gateway/queue';
import { limitKeys } from './keys';
import { LimitScriptCode, runIntegerScript, scripts } from './scripts';

/** A deployment's limits, across every worker (absent: none). */
export interface DeploymentLimits {
  readonly id: string;
  readonly rpm?: number;
  readonly tpm?: number;
  readonly maxConcurrency?: number;
}

export interface DeploymentCapacityOptions {
  redis: RedisClient;
  prefix: LimitsPrefix;
  /** The window rpm and tpm count over (a minute; shorter in tests). */
  windowMs: number;
  /** The share of each limit kept for interactive calls (PROVIDER_INTERACTIVE_RESERVE). */
  interactiveReserve: number;
  /** The longest pause a 429's Retry-After may set (PROVIDER_MAX_PAUSE_MS). */
  maxPauseMs: number;
  /** How long the corrections of ended calls may wait for the next take before they are written alone (default 100 ms). */
  flushMs?: number;
  /** Clock in ms; absent: the Redis server's TIME. */
  clock?: () => number;
}

/** What a call counted at a deployment: where its correction goes when it ends. */
export interface CapacityLease {
  readonly deployment: string;
  readonly slice: number;
  readonly estimate: number;
}

export type CapacityReason = 'rpm' | 'tpm' | 'concurrency' | 'paused';

export type CapacityDecision = { go: true; lease: CapacityLease } | { go: false; waitMs: number; reason: CapacityReason };

/** A deployment's use now, for /v1/providers. */
export interface CapacityUse {
  inFlight: number;
  requests: number;
  tokens: number;
  pausedUntil: number | null;
}

/** Slices of a window (deployment-take-1.lua). */
const SLICES = 12;
/** The least margin counted beyond a window, for the delay between the count and the upstream's (event loops, network). */
const MARGIN_MS = 2000;
const DEFAULT_FLUSH_MS = 100;

/** Slices counted: a window, however placed over them, and the margin (at least a slice: 14 of a minute's 12). */
export function spanOf(windowMs: number): number {
  return SLICES + 1 + Math.max(1, Math.ceil(MARGIN_MS / (windowMs / SLICES)));
}

const reasons: Readonly<Record<number, CapacityReason>> = { 1: 'rpm', 2: 'tpm', 3: 'concurrency' };

/**
 * The capacity of each deployment of GATEWAY_CONFIG_FILE, shared by every worker in Redis: requests and tokens per
 * window (a call counts its estimate when it starts, corrected to the real count when it ends), calls in flight,
 * and a pause after a 429. Calls below the interactive lane fill each limit only up to its share less the reserve,
 * so an interactive call finds room first.
 *
 * A call costs one script when it starts and none when it ends: the corrections of ended calls ride on this
 * worker's next take of the same deployment, or are written within `flushMs` when none comes.
 */
export function createDeploymentCapacity(options: DeploymentCapacityOptions) {
  const key = (deployment: string) => limitKeys.deploymentWindow(options.prefix, deployment);
  const now = () => (options.clock ? options.clock() : '');
  const span = spanOf(options.windowMs);
  /** Corrections not yet written: deployment → slice → [token delta, calls ended]. */
  const pending = new Map<string, Map<number, [number, number]>>();
  let timer: NodeJS.Timeout | undefined;

  /** The deployment's pending corrections as the script's trailing arguments; taken out of `pending`. */
  const takePending = (deployment: string): number[] => {
    const corrections = pending.get(deployment);
    if (!corrections) return [];
    pending.delete(deployment);
    return [...corrections].flatMap(([slice, [tokens, ended]]) => [slice, tokens, ended]);
  };

  const run = (deployment: DeploymentLimits, take: boolean, lane: Lane, estimate: number) =>
    runIntegerScript(
      options.redis,
      scripts.deploymentTake,
      [key(deployment.id)],
      [
        now(),
        options.windowMs,
        deployment.rpm ?? 0,
        deployment.tpm ?? 0,
        deployment.maxConcurrency ?? 0,
        estimate,
        lane === 'interactive' ? 1 : 1 - options.interactiveReserve,
        span,
        take ? 1 : 0,
        ...takePending(deployment.id),
      ],
    );

  const flush = async (): Promise<void> => {
    timer = undefined;
    await Promise.all([...pending.keys()].map((deployment) => run({ id: deployment }, false, 'interactive', 0)));
  };

  return {
    /** Takes a place for one call of `estimate` tokens, or says how long until there may be one. */
    async take(deployment: DeploymentLimits, lane: Lane, estimate: number): Promise<CapacityDecision> {
      const tokens = Math.max(0, Math.ceil(estimate));
      const [code = 0, value = 0, why = 0] = await run(deployment, true, lane, tokens);
      if (code > 0) return { go: true, lease: { deployment: deployment.id, slice: value, estimate: tokens } };
      if (code === LimitScriptCode.Paused) return { go: false, waitMs: value, reason: 'paused' };
      if (code === LimitScriptCode.RateLimited) return { go: false, waitMs: value, reason: reasons[why] ?? 'rpm' };
      throw new Error(`deployment capacity refused with code ${code}`);
    },

    /** The call ended: its place goes back, and its tokens become `tokens` (0 when the upstream answered with an error). */
    settle(lease: CapacityLease, tokens: number): void {
      let corrections = pending.get(lease.deployment);
      if (!corrections) {
        corrections = new Map();
        pending.set(lease.deployment, corrections);
      }
      const [delta, ended] = corrections.get(lease.slice) ?? [0, 0];
      corrections.set(lease.slice, [delta + Math.round(tokens) - lease.estimate, ended + 1]);
      if (!timer) {
        timer = setTimeout(() => void flush().catch(() => undefined), options.flushMs ?? DEFAULT_FLUSH_MS);
        timer.unref();
      }
    },

    /** Writes the corrections of ended calls now (tests, shutdown). */
    flush,

    /** Pauses every worker's calls to the deployment for `ms` (after its 429), at most maxPauseMs. */
    async pause(deployment: string, requestedMs: number): Promise<void> {
      const ms = Math.max(1, Math.round(Math.min(requestedMs, options.maxPauseMs)));
      await runIntegerScript(options.redis, scripts.deploymentPause, [key(deployment)], [ms, now()]);
    },

    /** Requests and tokens counted now (the slices deployment-take-1 counts), calls in flight, and the pause. */
    async use(deployment: string): Promise<CapacityUse> {
      const time = await options.redis.time();
      const at = options.clock ? options.clock() : Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
      const slice = Math.floor(at / (options.windowMs / SLICES));
      const fields = Array.from({ length: span }, (_, offset) => slice - span + 1 + offset).flatMap((index) => [`r:${index}`, `t:${index}`, `e:${index}`]);
      const values = await options.redis.hmget(key(deployment), ...fields, 'paused_until');
      let requests = 0;
      let tokens = 0;
      let ended = 0;
      for (let index = 0; index < span * 3; index += 3) {
        requests += Number(values[index] ?? 0);
        tokens += Number(values[index + 1] ?? 0);
        ended += Number(values[index + 2] ?? 0);
      }
      const pausedUntil = Number(values[span * 3] ?? 0);
      return { inFlight: Math.max(0, requests - ended), requests, tokens, pausedUntil: pausedUntil > at ? pausedUntil : null };
    },
  };
}

export type DeploymentCapacity = ReturnType<typeof createDeploymentCapacity>;
