import { embeddingVectorsPieces, embeddingVectorTexts, type ChatJobResult } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import { piecesBytes, queueKeys, replyWithEmbeddingsData, type QueuePrefix, type RedisClient } from '@gateway/queue';

interface StoreDeps {
  publisher: RedisClient;
  prefix: QueuePrefix;
}

/**
 * When an embeddings job's vectors are written apart: `now` (sent at once, before the settlement on the same
 * connection), or `unless-delivered` (a sync request nobody can ask for again: no Idempotency-Key, no kept outcome,
 * not a batch's): only if its reply reached no one, so that a caller whose reply was lost still finds them.
 */
export type EmbeddingsStoring = 'now' | 'unless-delivered';

/** An embeddings result whose vectors are kept under a key of their own (or, delivered, nowhere but in the reply). */
export interface SetAsideEmbeddings {
  /** The result without its vectors, saying where they are: the job's return value and kept outcome. */
  result: ChatJobResult;
  /** The reply to the caller waiting on `replyTo`: the result's envelope, then its `data` list as text on a line of its own. */
  reply: (replyTo: string) => { channel: string; message: Buffer };
  /** Writes the vectors (once; already under way with `now`): whether they were written (false: logged). */
  store: () => Promise<boolean>;
  /** Whether the return value may go without the vectors: written, or (`unless-delivered`) not to be written. False: Redis trouble, logged. */
  setApart: () => Promise<boolean>;
}

/**
 * Keeps an embeddings job's vectors once, under their own key for `ttlSeconds`, so that neither BullMQ's return value
 * nor its `completed` event (the queue's events stream keeps thousands) carries them. Undefined for a result without
 * vectors.
 */
export function setAsideEmbeddings(
  deps: StoreDeps,
  jobId: string,
  result: ChatJobResult,
  ttlSeconds: number,
  log: Logger,
  storing: EmbeddingsStoring = 'now',
): SetAsideEmbeddings | undefined {
  const { embeddings, ...rest } = result;
  if (!embeddings) return undefined;
  const key = queueKeys.jobEmbeddings(deps.prefix, jobId);
  // Each vector's text once, for the stored array and the reply's data list alike.
  const texts = embeddingVectorTexts(embeddings);
  let written: Promise<boolean> | undefined;
  const store = () =>
    (written ??= deps.publisher.set(key, piecesBytes('', embeddingVectorsPieces(texts.texts), texts.ascii), 'EX', Math.max(1, Math.ceil(ttlSeconds))).then(
      () => true,
      (error: unknown) => {
        log.error({ err: error }, 'could not keep the job vectors apart');
        return false;
      },
    ));
  if (storing === 'now') void store();
  const reply = (replyTo: string) => replyWithEmbeddingsData(deps.prefix, replyTo, { kind: 'result', job_id: jobId, result: rest }, texts);
  const stored = { key, count: embeddings.length };
  return {
    // Not written (delivered): the result says so, and a lookup that finds no vectors tells why.
    get result(): ChatJobResult {
      return { ...rest, embeddings_stored: written ? stored : { ...stored, reply_only: true } };
    },
    reply,
    store,
    setApart: () => written ?? Promise.resolve(true),
  };
}
