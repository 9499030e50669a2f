import type { EmbeddingInput } from '@gateway/contracts';
import { vectorToBase64 } from '../embeddings/vectors';
import type { ProviderEmbedRequest, ProviderEmbedResult } from '../types';

/** The mock's vector size when the request names none. */
export const MOCK_EMBEDDING_DIMENSIONS = 256;

/** FNV-1a over the input (its text, or its token ids) and the model: the seed of its vector. */
function seedOf(model: string, input: EmbeddingInput): number {
  let hash = 0x811c9dc5;
  const text = `${model}\n${typeof input === 'string' ? input : input.join(',')}`;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash || 1;
}

/**
 * A unit-length float32 vector that depends only on the model, the input and the size (xorshift32 from the input's
 * hash): the same input always embeds the same, different inputs differently, so tests need no key.
 */
export function mockVector(model: string, input: EmbeddingInput, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  let state = seedOf(model, input);
  let norm = 0;
  for (let index = 0; index < dimensions; index += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const value = state / 0x80000000 - 1;
    vector[index] = value;
    norm += value * value;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  for (let index = 0; index < dimensions; index += 1) vector[index] = vector[index]! * scale;
  return vector;
}

/** The mock's embed call: deterministic vectors, one prompt token per word (or token id). */
export function mockEmbeddings(request: ProviderEmbedRequest, countTokens: (text: string) => number): ProviderEmbedResult {
  const dimensions = request.dimensions ?? MOCK_EMBEDDING_DIMENSIONS;
  let promptTokens = 0;
  const vectors = request.input.map((input) => {
    promptTokens += typeof input === 'string' ? Math.max(1, countTokens(input)) : input.length;
    const values = Array.from(mockVector(request.model, input, dimensions));
    return request.encoding_format === 'base64' ? vectorToBase64(values) : values;
  });
  return { vectors, model: request.model, promptTokens, costUsd: 0 };
}
