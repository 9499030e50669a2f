import { upstreamFailure, type ProviderId } from '@gateway/contracts';
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
export function fromEmbeddingsAnswer(id: ProviderId, answer: unknown, request: ProviderEmbedRequest): ProviderEmbedResult {
  if (typeof answer !== 'object' || answer === null) throw upstreamFailure(id, 'embeddings answer is not an object');
  const body = answer as Json;
  if (typeof body['error'] === 'object' && body['error'] !== null)
    throw bodyError(id, body['error'] as { message?: string | null; code?: number | string | null });
  const data = body['data'];
  if (!Array.isArray(data)) throw upstreamFailure(id, 'embeddings answer has no data list');
  if (data.length !== request.input.length) throw upstreamFailure(id, `embeddings answer holds ${data.length} vectors for ${request.input.length} inputs`);
  const vectors = new Array<ReturnType<typeof wireVector>>(data.length);
  data.forEach((entry: unknown, position) => {
    const item = (typeof entry === 'object' && entry !== null ? entry : {}) as Json;
    const index = typeof item['index'] === 'number' ? item['index'] : position;
    if (!Number.isInteger(index) || index < 0 || index >= data.length || vectors[index] !== undefined)
      throw upstreamFailure(id, 'embeddings answer has an index out of place');
    vectors[index] = inEncoding(wireVector(id, item['embedding']), request.encoding_format);
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

/** The embed call of an OpenAI-compatible upstream: `POST <base>/embeddings`. */
export function createOpenAiCompatibleEmbed(options: { id: ProviderId; baseUrl: string; headers: Record<string, string>; http: HttpClient }) {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  return async (request: ProviderEmbedRequest, signal: AbortSignal): Promise<ProviderEmbedResult> => {
    const response = await options.http.postJson(url, options.headers, toEmbeddingsBody(request), signal);
    return fromEmbeddingsAnswer(options.id, await options.http.readJson(response, { maxBytes: MAX_EMBEDDINGS_ANSWER_BYTES }), request);
  };
}
