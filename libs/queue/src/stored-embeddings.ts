import { embeddingVectorSchema, embeddingsExpired, embeddingsNotKept, malformedJobResult, type ChatJobResult } from '@gateway/contracts';
import { z } from 'zod';

const storedVectorsSchema = z.array(embeddingVectorSchema);

/** What reading kept vectors needs of a connection (the queue's own client will do). */
export interface VectorsReader {
  get(key: string): Promise<string | null>;
}

/**
 * A job's result with its vectors back in place, when they were kept apart (`embeddings_stored`: the key the worker
 * wrote beside the settlement). Vectors gone (past their retention) or not all there: an error, never a partial list.
 */
export async function joinStoredEmbeddings(redis: VectorsReader, result: ChatJobResult): Promise<ChatJobResult> {
  const stored = result.embeddings_stored;
  if (!stored) return result;
  const text = await redis.get(stored.key);
  if (text === null) throw stored.reply_only ? embeddingsNotKept() : embeddingsExpired();
  const parsed = storedVectorsSchema.safeParse(JSON.parse(text));
  if (!parsed.success || parsed.data.length !== stored.count) throw malformedJobResult();
  const { embeddings_stored: _stored, ...rest } = result;
  return { ...rest, embeddings: parsed.data };
}
