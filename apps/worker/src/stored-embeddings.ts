import { embeddingVectorsText, type ChatJobResult } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import { queueKeys, type QueuePrefix, type RedisClient } from '@gateway/queue';

interface StoreDeps {
  publisher: RedisClient;
  prefix: QueuePrefix;
}

/** An embeddings result whose vectors are kept under a key of their own. */
export interface SetAsideEmbeddings {
  /** The result without its vectors, saying where they are: the job's return value and kept outcome. */
  result: ChatJobResult;
  /** The reply to the caller waiting on `replyTo`, with the vectors as they were written (not stringified a second time). */
  reply: (replyTo: string) => { channel: string; message: string };
  /** Whether the vectors were written (false: logged, and the job keeps them in its return value instead). */
  written: Promise<boolean>;
}

/**
 * Keeps an embeddings job's vectors once, under their own key for `ttlSeconds`, so that neither BullMQ's return value
 * nor its `completed` event (the queue's events stream keeps thousands) carries them. The SET is sent at once: issued
 * before the settlement on the same connection, it costs no round trip of its own. Undefined for a result without vectors.
 */
export function setAsideEmbeddings(deps: StoreDeps, jobId: string, result: ChatJobResult, ttlSeconds: number, log: Logger): SetAsideEmbeddings | undefined {
  const { embeddings, ...rest } = result;
  if (!embeddings) return undefined;
  const key = queueKeys.jobEmbeddings(deps.prefix, jobId);
  const vectorsText = embeddingVectorsText(embeddings);
  const written = deps.publisher.set(key, vectorsText, 'EX', Math.max(1, Math.ceil(ttlSeconds))).then(
    () => true,
    (error: unknown) => {
      log.error({ err: error }, 'could not keep the job vectors apart');
      return false;
    },
  );
  // The reply is the result message with the vectors spliced in as text: `{…,"result":{…}}` ends with two braces.
  const reply = (replyTo: string) => ({
    channel: queueKeys.replyChannel(deps.prefix, replyTo),
    message: `${JSON.stringify({ kind: 'result', job_id: jobId, result: rest }).slice(0, -2)},"embeddings":${vectorsText}}}`,
  });
  return { result: { ...rest, embeddings_stored: { key, count: embeddings.length } }, reply, written };
}
