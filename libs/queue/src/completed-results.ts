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

/** A completed job's return value as text, and when it finished (ms). */
export interface FramedReturnValue {
  text: string;
  finishedOn: number;
}

/** The return values framed by completed-results.lua, in order: each completed job's, undefined for the others. */
export function unframeReturnValues(reply: Buffer, count: number): (FramedReturnValue | undefined)[] {
  const values: (FramedReturnValue | undefined)[] = [];
  let at = 0;
  // A decimal number from `from` up to the next colon, and the colon's position (NaN when there is none).
  const numberAt = (from: number): [number, number] => {
    const colon = reply.indexOf(COLON, from);
    return [colon > from ? Number(reply.toString('latin1', from, colon)) : NaN, colon];
  };
  while (values.length < count) {
    if (reply[at] === DASH) {
      values.push(undefined);
      at += 1;
      continue;
    }
    const [finishedOn, first] = numberAt(at);
    const [length, colon] = Number.isInteger(finishedOn) ? numberAt(first + 1) : [NaN, -1];
    const end = colon + 1 + length;
    if (!Number.isInteger(length) || end > reply.length) throw new Error(`completed-results.lua: a broken frame at byte ${at}`);
    values.push({ text: reply.toString('utf8', colon + 1, end), finishedOn });
    at = end;
  }
  if (at !== reply.length) throw new Error(`completed-results.lua: ${reply.length - at} bytes past the last of ${count} jobs`);
  return values;
}

/** A completed job's result, and when it finished (ms): the `created` of its answer in an output file. */
export interface CompletedResult {
  result: ChatJobResult;
  finishedOn: number;
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
): Promise<(CompletedResult | undefined)[]> {
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
  const results: (CompletedResult | undefined)[] = [];
  for (const [read, reply] of (await Promise.all(reads)).entries()) {
    if (!Buffer.isBuffer(reply)) throw new Error('completed-results.lua answered no bulk string');
    const count = Math.min(JOBS_PER_READ, jobIds.length - read * JOBS_PER_READ);
    for (const returned of unframeReturnValues(reply, count)) {
      const result = returned && parseJobResult(returned.text);
      results.push(returned && result ? { result, finishedOn: returned.finishedOn } : undefined);
    }
  }
  // Vectors kept apart are joined back (one round trip for a page); gone or broken, the job's view is failed.
  const stored = results.flatMap((completed, index) => (completed?.result.embeddings_stored ? [index] : []));
  await Promise.all(
    stored.map(async (index) => {
      const completed = results[index]!;
      const joined = await joinStoredEmbeddings(redis, completed.result).catch(() => undefined);
      results[index] = joined === undefined ? undefined : { result: joined, finishedOn: completed.finishedOn };
    }),
  );
  return results;
}
