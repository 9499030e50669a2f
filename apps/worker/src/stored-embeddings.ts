import { embeddingsDataPieces, embeddingVectorTexts, type ChatJobResult } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import { piecesBytes, queueKeys, replyWithEmbeddingsData, resultReplyEnvelope, type QueuePrefix, type RedisClient } from '@gateway/queue';

interface StoreDeps {
  publisher: RedisClient;
  prefix: QueuePrefix;
}

/** An embeddings result whose vectors are kept under a key of their own. */
export interface SetAsideEmbeddings {
  /** The result without its vectors, saying where they are: the job's return value and kept outcome. */
  result: ChatJobResult;
  /**
   * The reply to the caller waiting on `replyTo`. `byKey` (the API reads the vectors from their key, and they were
   * written): the result alone, naming the key; else the result's envelope, then its `data` list as text on a line of
   * its own.
   */
  reply: (replyTo: string, byKey: boolean) => { channel: string; message: Buffer | string };
  /** Whether the vectors were written (false: Redis trouble, logged; the job keeps them in its return value instead). */
  setApart: () => Promise<boolean>;
}

/**
 * Keeps an embeddings job's vectors once, under their own key for `ttlSeconds`, so that neither BullMQ's return value
 * nor its `completed` event (the queue's events stream keeps thousands) carries them. What is kept is the answer's
 * `data` list as text (embeddingsDataPieces), so the API waiting for a sync request writes it out as it reads it,
 * without parsing it, and the vectors cross Redis once (in with the SET, out with the API's GET). A sync request's
 * vectors are kept too, not only sent: a reply lost with its API's connection is found again by the lookup that
 * follows. Undefined for a result without vectors.
 */
export function setAsideEmbeddings(deps: StoreDeps, jobId: string, result: ChatJobResult, ttlSeconds: number, log: Logger): SetAsideEmbeddings | undefined {
  const { embeddings, ...rest } = result;
  if (!embeddings) return undefined;
  const key = queueKeys.jobEmbeddings(deps.prefix, jobId);
  // The list's bytes once (each vector's text once), for the key and (when needed) the reply alike.
  const texts = embeddingVectorTexts(embeddings);
  const data = piecesBytes('', embeddingsDataPieces(texts.texts), texts.ascii);
  const written = deps.publisher.set(key, data, 'EX', Math.max(1, Math.ceil(ttlSeconds))).then(
    () => true,
    (error: unknown) => {
      log.error({ err: error }, 'could not keep the job vectors apart');
      return false;
    },
  );
  const kept: ChatJobResult = { ...rest, embeddings_stored: { key, count: embeddings.length } };
  const reply = (replyTo: string, byKey: boolean) =>
    byKey
      ? resultReplyEnvelope(deps.prefix, replyTo, jobId, JSON.stringify(kept))
      : replyWithEmbeddingsData(deps.prefix, replyTo, { kind: 'result', job_id: jobId, result: rest }, data);
  return { result: kept, reply, setApart: () => written };
}
