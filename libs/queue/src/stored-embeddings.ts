import { embeddingVectorSchema, embeddingsExpired, malformedJobResult, type ChatJobResult, type EmbeddingVector } from '@gateway/contracts';
import { z } from 'zod';

/** What is kept: the answer's `data` list (`[{object, index, embedding}]`, input order), or (older workers) the vectors alone. */
const storedVectorsSchema = z.union([
  z.array(z.object({ index: z.number().int().nonnegative(), embedding: embeddingVectorSchema })),
  z.array(embeddingVectorSchema),
]);

/** What reading kept vectors needs of a connection (the queue's own client will do). */
export interface VectorsReader {
  get(key: string): Promise<string | null>;
}

/** The vectors of a kept list, in input order; undefined when the entries are out of place. */
function vectorsOf(stored: z.infer<typeof storedVectorsSchema>): EmbeddingVector[] | undefined {
  const vectors: EmbeddingVector[] = [];
  for (const [position, entry] of stored.entries()) {
    if (typeof entry === 'string' || Array.isArray(entry)) vectors.push(entry);
    else if (entry.index === position) vectors.push(entry.embedding);
    else return undefined;
  }
  return vectors;
}

/**
 * A job's result with its vectors back in place, when they were kept apart (`embeddings_stored`: the key the worker
 * wrote before the settlement). Vectors gone (past their retention) or not all there: an error, never a partial list.
 */
export async function joinStoredEmbeddings(redis: VectorsReader, result: ChatJobResult): Promise<ChatJobResult> {
  const stored = result.embeddings_stored;
  if (!stored) return result;
  const text = await redis.get(stored.key);
  if (text === null) throw embeddingsExpired();
  const parsed = storedVectorsSchema.safeParse(JSON.parse(text));
  const vectors = parsed.success ? vectorsOf(parsed.data) : undefined;
  if (!vectors || vectors.length !== stored.count) throw malformedJobResult();
  const { embeddings_stored: _stored, ...rest } = result;
  return { ...rest, embeddings: vectors };
}
