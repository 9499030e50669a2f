// Lua files are imported as text: the reference brings the *.lua module declaration along.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import type { Lane } from '@gateway/contracts';
import type { ChatQueue } from './chat-queue';
import { laneLayout, laneRange } from './lanes';
import { defineLuaFile, runLuaScript } from './lua-script';
import type { RedisClient } from './redis-connection';
import laneOldestSource from './lua/lane-oldest-2.lua';

const laneOldest = defineLuaFile('lane-oldest-2.lua', laneOldestSource);

/** Jobs read per priority band (and from the wait list's end): what bounds one reading's cost. */
export const OLDEST_READ_PER_BAND = 16;
const SCALE = 2 ** 32;
const prioritizedLanes = ['job', 'batch'] as const;

/**
 * The age in seconds of the oldest job waiting in each lane (0 when none waits), in one script: among the next
 * `OLDEST_READ_PER_BAND` to be served from the wait list (interactive) and from each band of a prioritized lane
 * (a tenant's later rounds are not read, so a job queued behind its own tenant's backlog is not counted until it
 * nears the front). A lane that stops draining shows its age growing by a second a second.
 */
export async function readLaneOldest(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'keys'>,
  now = Date.now(),
  perBand = OLDEST_READ_PER_BAND,
): Promise<Record<Lane, number>> {
  const bandRanges = prioritizedLanes.flatMap((lane) => {
    const { low } = laneRange(lane);
    return [
      laneLayout.bands,
      ...Array.from({ length: laneLayout.bands }, (_, band) => {
        const start = low + band * laneLayout.roundsPerBand;
        return [(start * SCALE).toFixed(0), ((start + laneLayout.roundsPerBand) * SCALE).toFixed(0)];
      }).flat(),
    ];
  });
  const reply = await runLuaScript(redis, laneOldest, [queue.keys['wait']!, queue.keys['prioritized']!], [queue.keys['']!, perBand, ...bandRanges]);
  if (!Array.isArray(reply) || reply.length !== 1 + prioritizedLanes.length) throw new Error('lane-oldest returned an unexpected reply');
  const age = (stamp: unknown) => (Number(stamp) < 0 ? 0 : Math.max(0, (now - Number(stamp)) / 1000));
  return { interactive: age(reply[0]), job: age(reply[1]), batch: age(reply[2]) };
}
