import { randomUUID } from 'node:crypto';
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
  /** The longest a lease lasts: a worker that dies mid-call frees its place after it. */
  leaseMs: number;
  /** The longest pause a 429's Retry-After may set (PROVIDER_MAX_PAUSE_MS). */
  maxPauseMs: number;
  /** Clock in ms; absent: the Redis server's TIME. */
  clock?: () => number;
}

/** What holds a call's place at a deployment until it ends. */
export interface CapacityLease {
  readonly deployment: string;
  readonly id: string;
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

/** Slices of a window (deployment-take-2.lua). */
const SLICES = 12;
/** The least margin counted beyond a window, for the delay between the count and the upstream's (event loops, network). */
const MARGIN_MS = 2000;

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
 */
export function createDeploymentCapacity(options: DeploymentCapacityOptions) {
  const keys = (deployment: string) => [limitKeys.deploymentWindow(options.prefix, deployment), limitKeys.deploymentFlight(options.prefix, deployment)];
  const now = () => (options.clock ? options.clock() : '');
  const span = spanOf(options.windowMs);
  return {
    /** Takes a place for one call of `estimate` tokens, or says how long until there may be one. */
    async take(deployment: DeploymentLimits, lane: Lane, estimate: number): Promise<CapacityDecision> {
      const id = randomUUID();
      const share = lane === 'interactive' ? 1 : 1 - options.interactiveReserve;
      const [code = 0, value = 0, why = 0] = await runIntegerScript(options.redis, scripts.deploymentTake, keys(deployment.id), [
        now(),
        options.windowMs,
        deployment.rpm ?? 0,
        deployment.tpm ?? 0,
        deployment.maxConcurrency ?? 0,
        Math.max(0, Math.ceil(estimate)),
        share,
        id,
        options.leaseMs,
        span,
      ]);
      if (code > 0) return { go: true, lease: { deployment: deployment.id, id, slice: value, estimate: Math.max(0, Math.ceil(estimate)) } };
      if (code === LimitScriptCode.Paused) return { go: false, waitMs: value, reason: 'paused' };
      if (code === LimitScriptCode.RateLimited) return { go: false, waitMs: value, reason: reasons[why] ?? 'rpm' };
      throw new Error(`deployment capacity refused with code ${code}`);
    },

    /** The call ended: its place goes back, and its tokens become `tokens` (0 when the upstream answered with an error). */
    async settle(lease: CapacityLease, tokens: number): Promise<void> {
      await runIntegerScript(options.redis, scripts.deploymentSettle, keys(lease.deployment), [lease.id, lease.slice, Math.round(tokens) - lease.estimate]);
    },

    /** Pauses every worker's calls to the deployment for `ms` (after its 429), at most maxPauseMs. */
    async pause(deployment: string, requestedMs: number): Promise<void> {
      const ms = Math.max(1, Math.round(Math.min(requestedMs, options.maxPauseMs)));
      await runIntegerScript(options.redis, scripts.deploymentPause, keys(deployment).slice(0, 1), [ms, now()]);
    },

    /** Requests and tokens counted now (the slices deployment-take-2 counts), calls in flight, and the pause. */
    async use(deployment: string): Promise<CapacityUse> {
      const [window, flight] = keys(deployment) as [string, string];
      const time = await options.redis.time();
      const at = options.clock ? options.clock() : Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
      const slice = Math.floor(at / (options.windowMs / SLICES));
      const fields = Array.from({ length: span }, (_, offset) => slice - span + 1 + offset).flatMap((index) => [`r:${index}`, `t:${index}`]);
      const [values, inFlight] = await Promise.all([options.redis.hmget(window, ...fields, 'paused_until'), options.redis.zcount(flight, at, '+inf')]);
      let requests = 0;
      let tokens = 0;
      for (let index = 0; index < span * 2; index += 2) {
        requests += Number(values[index] ?? 0);
        tokens += Number(values[index + 1] ?? 0);
      }
      const pausedUntil = Number(values[span * 2] ?? 0);
      return { inFlight, requests, tokens, pausedUntil: pausedUntil > at ? pausedUntil : null };
    },
  };
}

export type DeploymentCapacity = ReturnType<typeof createDeploymentCapacity>;
