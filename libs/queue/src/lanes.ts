// Lua files are imported as text; the declaration must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import type { Lane } from '@gateway/contracts';
import type { ChatQueue } from './chat-queue';
import { queueKeys } from './keys';
import { defineLuaScript, runLuaScript } from './lua-script';
import type { RedisClient } from './redis-connection';
import laneRoundsSource from './lua/lane-rounds.lua';

/**
 * How the lanes map onto BullMQ's one queue. Interactive jobs have no priority: BullMQ serves its wait list
 * before any prioritized job. Jobs and batch requests are prioritized, each lane in its own range of BullMQ
 * priorities (1 to 2^21 - 1): the job lane below 2^20, the batch lane from 2^20. A lane is cut into `bands`
 * (the caller's `priority`, coarsened) of `roundsPerBand` fair-share rounds each.
 */
export const laneLayout = {
  bands: 8,
  roundsPerBand: Math.floor((2 ** 20 - 1) / 8),
  base: { job: 1, batch: 2 ** 20 } as const,
} as const;

/** The highest `priority` a caller may ask for (1 is the most urgent); larger values count as this. */
export const callerPriorityMax = 1000;

/**
 * The band of a caller's `priority` within its lane: none is band 0 (BullMQ's own rule: work without a priority
 * comes first), 1 to 1000 spread over bands 1 to 7, lower sooner. Values beyond the range are clamped.
 */
export function priorityBand(requested: number | undefined): number {
  if (requested === undefined) return 0;
  const priority = Math.min(callerPriorityMax, Math.max(1, Math.trunc(requested)));
  return 1 + Math.floor(((priority - 1) * (laneLayout.bands - 1)) / callerPriorityMax);
}

/** The BullMQ priority of a request of a prioritized lane at `band` and fair-share `round` (rounds beyond the band's last share it). */
export function lanePriority(lane: Exclude<Lane, 'interactive'>, band: number, round: number): number {
  const capped = Math.min(laneLayout.roundsPerBand - 1, Math.max(0, round));
  return laneLayout.base[lane] + band * laneLayout.roundsPerBand + capped;
}

/** The lane a BullMQ priority belongs to (0: the wait list, interactive or promoted work). */
export function laneOfPriority(priority: number): Lane {
  if (priority <= 0) return 'interactive';
  return priority < laneLayout.base.batch ? 'job' : 'batch';
}

/** The range of BullMQ priorities of a prioritized lane, [low, high). */
export function laneRange(lane: Exclude<Lane, 'interactive'>): { low: number; high: number } {
  const low = laneLayout.base[lane];
  return { low, high: low + laneLayout.bands * laneLayout.roundsPerBand };
}

/** The tenant whose turn a request takes: its API key, else its agent, else the shared anonymous tenant. */
export function tenantId(keyId: string | undefined, agentId: string | undefined): string {
  if (keyId !== undefined) return `key:${keyId}`;
  return agentId !== undefined ? `agent:${agentId}` : 'anonymous';
}

const laneRounds = defineLuaScript('lane-rounds', laneRoundsSource, 'variable');

/** Requests of one tenant at one band, enqueued together. */
export interface RoundRequest {
  tenant: string;
  band: number;
  count: number;
}

/** How long a tenant's round key outlives its last use: longer than any backlog takes to drain. */
const ROUND_KEY_TTL_SECONDS = 24 * 3600;

/**
 * Gives each group its rounds (the first one; its requests take consecutive rounds), in one script: atomic on
 * Redis, so every API instance hands out rounds from the same state. Costs one round trip per job or batch.
 */
export async function assignRounds(redis: RedisClient, queue: Pick<ChatQueue, 'keys' | 'qualifiedName'>, lane: Exclude<Lane, 'interactive'>, groups: readonly RoundRequest[]): Promise<number[]> {
  if (groups.length === 0) return [];
  const keys = [queue.keys['prioritized']!, queueKeys.laneGenerations(queue.qualifiedName, lane), queueKeys.laneTenants(queue.qualifiedName, lane), ...groups.map((group) => queueKeys.laneRound(queue.qualifiedName, lane, group.band, group.tenant))];
  const args = [laneLayout.base[lane], laneLayout.roundsPerBand, ROUND_KEY_TTL_SECONDS, ...groups.flatMap((group) => [group.band, group.count, group.tenant])];
  const reply = await runLuaScript(redis, laneRounds, keys, args);
  if (!Array.isArray(reply) || reply.length !== groups.length) throw new Error('lane-rounds returned an unexpected reply');
  return reply.map((value) => Number(value));
}

/** One request to place in a prioritized lane: its tenant and the caller's priority. */
export interface LaneRequest {
  tenant: string;
  priority: number | undefined;
}

/**
 * The BullMQ priority of every request (same order), tenants taking turns within each band: one script for all.
 * A tenant's requests keep their order among themselves.
 */
export async function lanePriorities(redis: RedisClient, queue: Pick<ChatQueue, 'keys' | 'qualifiedName'>, lane: Exclude<Lane, 'interactive'>, requests: readonly LaneRequest[]): Promise<number[]> {
  const groups = new Map<string, RoundRequest & { index: number }>();
  const bands = requests.map((request) => priorityBand(request.priority));
  requests.forEach((request, position) => {
    const id = `${bands[position]} ${request.tenant}`;
    const group = groups.get(id) ?? { tenant: request.tenant, band: bands[position]!, count: 0, index: groups.size };
    group.count += 1;
    groups.set(id, group);
  });
  const ordered = [...groups.values()];
  const firsts = await assignRounds(redis, queue, lane, ordered);
  const next = new Map(ordered.map((group) => [`${group.band} ${group.tenant}`, firsts[group.index] ?? 0]));
  return requests.map((request, position) => {
    const id = `${bands[position]} ${request.tenant}`;
    const round = next.get(id) ?? 0;
    next.set(id, round + 1);
    return lanePriority(lane, bands[position]!, round);
  });
}
