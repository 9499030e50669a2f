import { Base64VectorBytes, upstreamFailure, type JobEmbeddingVector, type ProviderId } from '@gateway/contracts';
import { parseWithLongStringsAsBytes, type AnswerWithBytes } from '../embeddings/answer-bytes';
import { inEncoding, wireVector } from '../embeddings/vectors';
import type { HttpClient } from '../http/http-client';
import type { ProviderEmbedRequest, ProviderEmbedResult } from '../types';
import { bodyError } from './openai-compatible-errors';

/** The largest embeddings answer read (a float answer of 2,048 inputs of 3,072 dimensions is about 120 MB). */
export const MAX_EMBEDDINGS_ANSWER_BYTES = 256 * 1024 * 1024;

type Json = Record<string, unknown>;

/** OpenAI's `POST /embeddings` body; `extra` adds a provider's own fields. */
function toEmbeddingsBody(request: ProviderEmbedRequest): Json {
  return {
    model: request.model,
    input: request.input,
    encoding_format: request.encoding_format,
    ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
    ...(request.user !== undefined ? { user: request.user } : {}),
  };
}

/**
 * Reads an OpenAI-shaped embeddings answer: `data[]` of `{index, embedding}` (numbers or base64, put in the encoding
 * asked for), `model`, `usage` (OpenRouter adds `cost`). An `error` member in a 200 (an OpenRouter quirk), a count
 * of vectors other than the inputs', or an index out of place is the provider's failure, never a partial list.
 */
export function fromEmbeddingsAnswer(
  id: ProviderId,
  answer: unknown,
  request: ProviderEmbedRequest,
  bytesOf?: AnswerWithBytes['bytesOf'],
): ProviderEmbedResult {
  if (typeof answer !== 'object' || answer === null) throw upstreamFailure(id, 'embeddings answer is not an object');
  const body = answer as Json;
  if (typeof body['error'] === 'object' && body['error'] !== null)
    throw bodyError(id, body['error'] as { message?: string | null; code?: number | string | null });
  const data = body['data'];
  if (!Array.isArray(data)) throw upstreamFailure(id, 'embeddings answer has no data list');
  if (data.length !== request.input.length) throw upstreamFailure(id, `embeddings answer holds ${data.length} vectors for ${request.input.length} inputs`);
  const vectors = new Array<JobEmbeddingVector>(data.length);
  data.forEach((entry: unknown, position) => {
    const item = (typeof entry === 'object' && entry !== null ? entry : {}) as Json;
    const index = typeof item['index'] === 'number' ? item['index'] : position;
    if (!Number.isInteger(index) || index < 0 || index >= data.length || vectors[index] !== undefined)
      throw upstreamFailure(id, 'embeddings answer has an index out of place');
    vectors[index] = bytesOf?.(item['embedding']) ?? inEncoding(wireVector(id, item['embedding']), request.encoding_format);
  });
  const usage = (typeof body['usage'] === 'object' && body['usage'] !== null ? body['usage'] : {}) as Json;
  const promptTokens =
    typeof usage['prompt_tokens'] === 'number' ? usage['prompt_tokens'] : typeof usage['total_tokens'] === 'number' ? usage['total_tokens'] : 0;
  const cost = usage['cost'];
  return {
    vectors,
    model: typeof body['model'] === 'string' ? body['model'] : request.model,
    promptTokens,
    costUsd: typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : null,
  };
}

/** The whole answer's text parsed as JSON. */
function parseAnswer(id: ProviderId, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw upstreamFailure(id, 'answer is not valid JSON', error);
  }
}

/**
 * A base64 answer read with its vectors left as the body's bytes (no decoding of ~820 KB into a string, no parse of
 * it, no copy of each vector): the vectors are the upstream's, byte for byte. Undefined when that reading does not
 * fit this answer (escapes, a vector that is not a printable string, a long string elsewhere, an error): it is then
 * read as a whole, as any other answer, which also gives any failure its usual message.
 */
function fromBase64AnswerBytes(id: ProviderId, bytes: Buffer, request: ProviderEmbedRequest): ProviderEmbedResult | undefined {
  const parsed = parseWithLongStringsAsBytes(bytes);
  if (!parsed) return undefined;
  try {
    const result = fromEmbeddingsAnswer(id, parsed.answer, request, parsed.bytesOf);
    return result.vectors.length === parsed.count && result.vectors.every((vector) => vector instanceof Base64VectorBytes) ? result : undefined;
  } catch {
    return undefined;
  }
}

/** The embed call of an OpenAI-compatible upstream: `POST <base>/embeddings`. */
export function createOpenAiCompatibleEmbed(options: { id: ProviderId; baseUrl: string; headers: Record<string, string>; http: HttpClient }) {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  return async (request: ProviderEmbedRequest, signal: AbortSignal): Promise<ProviderEmbedResult> => {
    const response = await options.http.postJson(url, options.headers, toEmbeddingsBody(request), signal);
    if (request.encoding_format !== 'base64')
      return fromEmbeddingsAnswer(options.id, await options.http.readJson(response, { maxBytes: MAX_EMBEDDINGS_ANSWER_BYTES }), request);
    const bytes = await options.http.readBytes(response, { maxBytes: MAX_EMBEDDINGS_ANSWER_BYTES });
    return fromBase64AnswerBytes(options.id, bytes, request) ?? fromEmbeddingsAnswer(options.id, parseAnswer(options.id, bytes), request);
  };
}
