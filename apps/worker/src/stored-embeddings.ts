import { embeddingVectorsPieces, embeddingVectorTexts, type ChatJobResult } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import { piecesBytes, queueKeys, replyWithEmbeddingsData, type QueuePrefix, type RedisClient } from '@gateway/queue';

interface StoreDeps {
  publisher: RedisClient;
  prefix: QueuePrefix;
}

/** An embeddings result whose vectors are kept under a key of their own. */
export interface SetAsideEmbeddings {
  /** The result without its vectors, saying where they are: the job's return value and kept outcome. */
  result: ChatJobResult;
  /** The reply to the caller waiting on `replyTo`: the result's envelope, then its `data` list as text on a line of its own. */
  reply: (replyTo: string) => { channel: string; message: Buffer };
  /** Whether the vectors were written (false: Redis trouble, logged; the job keeps them in its return value instead). */
  setApart: () => Promise<boolean>;
}

/**
 * Keeps an embeddings job's vectors once, under their own key for `ttlSeconds`, so that neither BullMQ's return value
 * nor its `completed` event (the queue's events stream keeps thousands) carries them. The SET is sent at once: issued
 * before the settlement on the same connection, it costs no round trip of its own. A sync request's vectors are kept
 * too (not only sent in its reply): a reply lost with its API's connection is found again by the lookup that follows.
 * Undefined for a result without vectors.
 */
export function setAsideEmbeddings(deps: StoreDeps, jobId: string, result: ChatJobResult, ttlSeconds: number, log: Logger): SetAsideEmbeddings | undefined {
  const { embeddings, ...rest } = result;
  if (!embeddings) return undefined;
  const key = queueKeys.jobEmbeddings(deps.prefix, jobId);
  // Each vector's text once, for the stored array and the reply's data list alike.
  const texts = embeddingVectorTexts(embeddings);
  const written = deps.publisher.set(key, piecesBytes('', embeddingVectorsPieces(texts.texts), texts.ascii), 'EX', Math.max(1, Math.ceil(ttlSeconds))).then(
    () => true,
    (error: unknown) => {
      log.error({ err: error }, 'could not keep the job vectors apart');
      return false;
    },
  );
  const reply = (replyTo: string) => replyWithEmbeddingsData(deps.prefix, replyTo, { kind: 'result', job_id: jobId, result: rest }, texts);
  return {
    result: { ...rest, embeddings_stored: { key, count: embeddings.length } },
    reply,
    setApart: () => written,
  };
}
