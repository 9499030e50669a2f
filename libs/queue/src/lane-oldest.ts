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

/**
 * The age in seconds of the oldest job waiting in each lane (0 when none waits), one script per lane's queue: among the
 * next `OLDEST_READ_PER_BAND` to be served from its wait list and from each band of its prioritized set (a tenant's
 * later rounds are not read, so a job queued behind its own tenant's backlog is not counted until it nears the
 * front). In `chat`, the prioritized set holds only work of API instances from before the lane queues, which the
 * `chat` consumer runs: it counts as interactive. A lane that stops draining shows its age growing by a second a second.
 */
export async function readLaneOldest(
  redis: RedisClient,
  queues: Readonly<Record<Lane, Pick<ChatQueue, 'keys'>>>,
  now = Date.now(),
  perBand = OLDEST_READ_PER_BAND,
): Promise<Record<Lane, number>> {
  const { low } = laneRange();
  const bandRanges = [
    laneLayout.bands,
    ...Array.from({ length: laneLayout.bands }, (_, band) => {
      const start = low + band * laneLayout.roundsPerBand;
      return [(start * SCALE).toFixed(0), ((start + laneLayout.roundsPerBand) * SCALE).toFixed(0)];
    }).flat(),
  ];
  // The old layout's whole range in `chat` as one band (its next jobs, whichever lane they were).
  const chatRange = [1, '0', (2 ** 21 * SCALE).toFixed(0)];
  const oldestOf = async (queue: Pick<ChatQueue, 'keys'>, ranges: ReadonlyArray<number | string>) => {
    const reply = await runLuaScript(redis, laneOldest, [queue.keys['wait']!, queue.keys['prioritized']!], [queue.keys['']!, perBand, ...ranges]);
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error('lane-oldest returned an unexpected reply');
    const stamps = reply.map(Number).filter((stamp) => stamp >= 0);
    return stamps.length === 0 ? -1 : Math.min(...stamps);
  };
  const [interactive, job, batch] = await Promise.all([
    oldestOf(queues.interactive, chatRange),
    oldestOf(queues.job, bandRanges),
    oldestOf(queues.batch, bandRanges),
  ]);
  const age = (stamp: number) => (stamp < 0 ? 0 : Math.max(0, (now - stamp) / 1000));
  return { interactive: age(interactive), job: age(job), batch: age(batch) };
}
