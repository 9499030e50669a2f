import { z } from 'zod';
import { chatJobResultSchema, jobErrorSchema, type ChatJobResult, type JobError } from '@gateway/contracts';
import { queueKeys } from './keys';
import { joinStoredEmbeddings } from './stored-embeddings';
import type { QueuePrefix } from './prefixes';
import type { RedisClient } from './redis-connection';

/** A finished job's outcome, as kept beyond the job's retention. */
export type KeptOutcome = { state: 'completed'; result: ChatJobResult } | { state: 'failed'; error: JobError };

const keptOutcomeSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('completed'), result: chatJobResultSchema }),
  z.object({ state: z.literal('failed'), error: jobErrorSchema }),
]);

/** The kept JSON of a completed job, from its result's JSON (serialised once for the outcome and the reply). */
export const completedOutcomeJson = (resultJson: string): string => `{"state":"completed","result":${resultJson}}`;

/** Keeps a job's outcome for `seconds` (a job with keep_outcome_seconds; written by whoever ends the job). */
export async function keepJobOutcome(
  redis: RedisClient,
  prefix: QueuePrefix,
  jobId: string,
  outcome: KeptOutcome | { json: string },
  seconds: number,
): Promise<void> {
  await redis.set(queueKeys.keptOutcome(prefix, jobId), 'json' in outcome ? outcome.json : JSON.stringify(outcome), 'EX', seconds);
}

/** A job's kept outcome; undefined when none is kept (not finished, never asked for, or expired). */
export async function readKeptOutcome(redis: RedisClient, prefix: QueuePrefix, jobId: string): Promise<KeptOutcome | undefined> {
  const text = await redis.get(queueKeys.keptOutcome(prefix, jobId));
  if (text === null) return undefined;
  const parsed = keptOutcomeSchema.safeParse(JSON.parse(text));
  if (!parsed.success) return undefined;
  // An embeddings job's vectors are kept apart, as long as the outcome (see the worker's stored embeddings).
  return parsed.data.state === 'completed' ? { state: 'completed', result: await joinStoredEmbeddings(redis, parsed.data.result) } : parsed.data;
}

/** Forgets a job's kept outcome. */
export async function dropKeptOutcome(redis: RedisClient, prefix: QueuePrefix, jobId: string): Promise<void> {
  await redis.del(queueKeys.keptOutcome(prefix, jobId));
}
