// Lua files are imported as text; the declaration must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import type { Lane } from '@gateway/contracts';
import type { ChatQueue } from './chat-queue';
import { queueKeys } from './keys';
import { defineLuaFile, runLuaScript } from './lua-script';
import type { RedisClient } from './redis-connection';
import laneRoundsSource from './lua/lane-rounds.lua';

/**
 * How a lane's requests are ordered in its own queue (`chat-job`, `chat-batch`: one BullMQ queue per lane). Interactive
 * jobs (in `chat`) have no priority. Jobs and batch requests are prioritized over the whole range of BullMQ
 * priorities (1 to 2^21 - 1), cut into `bands` (the caller's `priority`, coarsened) of `roundsPerBand` fair-share
 * rounds each.
 */
export const laneLayout = {
  bands: 8,
  roundsPerBand: Math.floor((2 ** 21 - 1) / 8),
  base: 1,
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

/** The BullMQ priority, in its lane's queue, of a request at `band` and fair-share `round` (rounds beyond the band's last share it). */
export function lanePriority(band: number, round: number): number {
  const capped = Math.min(laneLayout.roundsPerBand - 1, Math.max(0, round));
  return laneLayout.base + band * laneLayout.roundsPerBand + capped;
}

/** The BullMQ priorities of a prioritized lane's queue, [low, high). */
export function laneRange(): { low: number; high: number } {
  return { low: laneLayout.base, high: laneLayout.base + laneLayout.bands * laneLayout.roundsPerBand };
}

/** The tenant whose turn a request takes: its API key, else its agent, else the shared anonymous tenant. */
export function tenantId(keyId: string | undefined, agentId: string | undefined): string {
  if (keyId !== undefined) return `key:${keyId}`;
  return agentId !== undefined ? `agent:${agentId}` : 'anonymous';
}

const laneRounds = defineLuaFile('lane-rounds.lua', laneRoundsSource);

/** Requests of one tenant at one band, enqueued together; `weight`: turns per round (default 1, at most 16). */
export interface RoundRequest {
  tenant: string;
  band: number;
  count: number;
  weight?: number;
}

/** Ticks per round: divisible by every weight from 1 to 16, so each weight's step is a whole number of ticks. */
const TICKS_PER_ROUND = 720_720;
const MAX_WEIGHT = 16;

const stepOf = (weight: number | undefined) => TICKS_PER_ROUND / Math.min(MAX_WEIGHT, Math.max(1, Math.trunc(weight ?? 1)));

/** How long a tenant's round key outlives its last use: longer than any backlog takes to drain. */
const ROUND_KEY_TTL_SECONDS = 24 * 3600;

/**
 * Gives each group its rounds (one per request, in order; a group of weight w takes w requests per round), in one
 * script on the lane's own queue (`queue`: `chat-job` or `chat-batch`): atomic on Redis, so every API instance hands
 * out rounds from the same state. One round trip per job or batch.
 */
export async function assignRounds(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'keys' | 'qualifiedName'>,
  lane: Exclude<Lane, 'interactive'>,
  groups: readonly RoundRequest[],
): Promise<number[][]> {
  if (groups.length === 0) return [];
  const keys = [
    queue.keys['prioritized']!,
    queueKeys.laneGenerations(queue.qualifiedName, lane),
    queueKeys.laneTenants(queue.qualifiedName, lane),
    ...groups.map((group) => queueKeys.laneRound(queue.qualifiedName, lane, group.band, group.tenant)),
  ];
  const args = [
    laneLayout.base,
    laneLayout.roundsPerBand,
    ROUND_KEY_TTL_SECONDS,
    TICKS_PER_ROUND,
    ...groups.flatMap((group) => [group.band, group.count, group.tenant, stepOf(group.weight)]),
  ];
  const reply = await runLuaScript(redis, laneRounds, keys, args);
  if (!Array.isArray(reply) || reply.length !== groups.length) throw new Error('lane-rounds returned an unexpected reply');
  return groups.map((group, index) => {
    const first = Number(reply[index]);
    const step = stepOf(group.weight);
    return Array.from({ length: group.count }, (_, offset) => Math.floor((first + offset * step) / TICKS_PER_ROUND));
  });
}

/** One request to place in a prioritized lane: its tenant, the caller's priority, the tenant's weight (default 1). */
export interface LaneRequest {
  tenant: string;
  priority: number | undefined;
  weight?: number | undefined;
}

/**
 * The BullMQ priority of every request (same order) in its lane's queue, tenants taking turns within each band: one
 * script for all.
 * A tenant's requests keep their order among themselves.
 */
export async function lanePriorities(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'keys' | 'qualifiedName'>,
  lane: Exclude<Lane, 'interactive'>,
  requests: readonly LaneRequest[],
): Promise<number[]> {
  const groups = new Map<string, RoundRequest & { members: number[] }>();
  requests.forEach((request, position) => {
    const band = priorityBand(request.priority);
    const id = `${band} ${request.tenant}`;
    const group = groups.get(id) ?? {
      tenant: request.tenant,
      band,
      count: 0,
      ...(request.weight !== undefined ? { weight: request.weight } : {}),
      members: [],
    };
    group.count += 1;
    group.members.push(position);
    groups.set(id, group);
  });
  const ordered = [...groups.values()];
  const rounds = await assignRounds(redis, queue, lane, ordered);
  const priorities = new Array<number>(requests.length);
  ordered.forEach((group, index) => {
    group.members.forEach((position, offset) => {
      priorities[position] = lanePriority(group.band, rounds[index]?.[offset] ?? 0);
    });
  });
  return priorities;
}
