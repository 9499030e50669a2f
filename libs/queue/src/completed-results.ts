import type { ChatJobResult } from '@gateway/contracts';
import type { ChatQueue } from './chat-queue';
import { parseJobResult } from './job-states';
import { defineLuaFile, runLuaScriptBuffer } from './lua-script';
import completedResultsSource from './lua/completed-results.lua';
import { joinStoredEmbeddings } from './stored-embeddings';
import type { RedisClient } from './redis-connection';

const completedResults = defineLuaFile('completed-results.lua', completedResultsSource);

/** Jobs read by one script (one key each): about a millisecond of Redis, and a reply of a few hundred KB. */
const JOBS_PER_READ = 500;

const COLON = 0x3a;
const DASH = 0x2d;

/** The return values framed by completed-results.lua, in order: the text of each completed job's, undefined for the others. */
export function unframeReturnValues(reply: Buffer, count: number): (string | undefined)[] {
  const values: (string | undefined)[] = [];
  let at = 0;
  while (values.length < count) {
    if (reply[at] === DASH) {
      values.push(undefined);
      at += 1;
      continue;
    }
    const colon = reply.indexOf(COLON, at);
    const length = colon > at ? Number(reply.toString('latin1', at, colon)) : NaN;
    const end = colon + 1 + length;
    if (!Number.isInteger(length) || end > reply.length) throw new Error(`completed-results.lua: a broken frame at byte ${at}`);
    values.push(reply.toString('utf8', colon + 1, end));
    at = end;
  }
  if (at !== reply.length) throw new Error(`completed-results.lua: ${reply.length - at} bytes past the last of ${count} jobs`);
  return values;
}

/**
 * The results of the jobs among `jobIds` that completed, in their order: undefined for a job not completed (queued,
 * running, failed, gone) or whose result is malformed or whose kept vectors are gone (their views say `failed`).
 * What a batch's output file is made of, read without the views' fields, their JSON envelope, or the cancelled
 * markers (a completed job's view does not depend on them): a script per JOBS_PER_READ jobs, all sent at once.
 */
export async function readCompletedResults(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'toKey'>,
  jobIds: readonly string[],
): Promise<(ChatJobResult | undefined)[]> {
  const reads: Promise<unknown>[] = [];
  for (let start = 0; start < jobIds.length; start += JOBS_PER_READ) {
    reads.push(
      runLuaScriptBuffer(
        redis,
        completedResults,
        jobIds.slice(start, start + JOBS_PER_READ).map((jobId) => queue.toKey(jobId)),
        [],
      ),
    );
  }
  const results: (ChatJobResult | undefined)[] = [];
  for (const [read, reply] of (await Promise.all(reads)).entries()) {
    if (!Buffer.isBuffer(reply)) throw new Error('completed-results.lua answered no bulk string');
    const count = Math.min(JOBS_PER_READ, jobIds.length - read * JOBS_PER_READ);
    for (const returned of unframeReturnValues(reply, count)) results.push(returned === undefined ? undefined : parseJobResult(returned));
  }
  // Vectors kept apart are joined back (one round trip for a page); gone or broken, the job's view is failed.
  const stored = results.flatMap((result, index) => (result?.embeddings_stored ? [index] : []));
  await Promise.all(stored.map(async (index) => (results[index] = await joinStoredEmbeddings(redis, results[index]!).catch(() => undefined))));
  return results;
}
