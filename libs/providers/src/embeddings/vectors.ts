import { upstreamFailure, type EmbeddingEncoding, type EmbeddingVector, type ProviderId } from '@gateway/contracts';

/** A float32 vector as OpenAI's base64 encoding gives it: the little-endian bytes of its float32 values. Exact, bit for bit. */
export function vectorToBase64(vector: readonly number[]): string {
  const floats = Float32Array.from(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}

/** The float32 values of a base64 vector, as numbers. */
export function base64ToVector(base64: string): number[] {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length % 4 !== 0) throw new Error('not whole float32 values');
  const copy = new Uint8Array(bytes);
  return Array.from(new Float32Array(copy.buffer, 0, copy.length / 4));
}

/** A vector in the encoding asked for: passed through when the upstream gave it so, converted (exactly) when not. */
export function inEncoding(vector: EmbeddingVector, encoding: EmbeddingEncoding): EmbeddingVector {
  if (encoding === 'base64') return typeof vector === 'string' ? vector : vectorToBase64(vector);
  return typeof vector === 'string' ? base64ToVector(vector) : vector;
}

/** A wire vector checked without a schema (a float answer holds thousands of numbers per input): numbers, or a string. */
export function wireVector(provider: ProviderId, value: unknown): EmbeddingVector {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const number of value) if (typeof number !== 'number') throw upstreamFailure(provider, 'an embedding holds something other than numbers');
    return value as number[];
  }
  throw upstreamFailure(provider, 'an embedding is neither a list of numbers nor a base64 string');
}
