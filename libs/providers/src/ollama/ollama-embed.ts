import { upstreamFailure } from '@gateway/contracts';
import { inEncoding, wireVector } from '../embeddings/vectors';
import type { HttpClient } from '../http/http-client';
import { MAX_EMBEDDINGS_ANSWER_BYTES } from '../openai-compatible/openai-compatible-embed';
import type { ProviderEmbedRequest, ProviderEmbedResult } from '../types';

type Json = Record<string, unknown>;

/**
 * Ollama's `POST /api/embed`: `{model, input, truncate, dimensions}` → `{model, embeddings, prompt_eval_count}`.
 * `truncate: false`, so an input past the model's context is refused (400) as OpenAI refuses it, instead of being
 * embedded cut short. Its vectors are float32 numbers: a base64 request gets them encoded here, bit for bit.
 */
export function createOllamaEmbed(options: {
  baseUrl: string;
  http: HttpClient;
  checked: (error: unknown) => unknown;
  answerError: (message: string) => Error;
}) {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/api/embed`;
  return async (request: ProviderEmbedRequest, signal: AbortSignal): Promise<ProviderEmbedResult> => {
    const body = {
      model: request.model,
      input: request.input,
      truncate: false,
      ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
    };
    const response = await options.http.postJson(url, {}, body, signal).catch((error: unknown) => {
      throw options.checked(error);
    });
    const answer = (await options.http.readJson(response, { maxBytes: MAX_EMBEDDINGS_ANSWER_BYTES })) as Json | null;
    if (typeof answer !== 'object' || answer === null) throw upstreamFailure('ollama', 'embed answer is not an object');
    if (typeof answer['error'] === 'string') throw options.answerError(answer['error']);
    const embeddings = answer['embeddings'];
    if (!Array.isArray(embeddings)) throw upstreamFailure('ollama', 'embed answer has no embeddings list');
    if (embeddings.length !== request.input.length)
      throw upstreamFailure('ollama', `embed answer holds ${embeddings.length} vectors for ${request.input.length} inputs`);
    const promptTokens = answer['prompt_eval_count'];
    return {
      vectors: embeddings.map((vector: unknown) => inEncoding(wireVector('ollama', vector), request.encoding_format)),
      model: typeof answer['model'] === 'string' ? answer['model'] : request.model,
      promptTokens: typeof promptTokens === 'number' ? promptTokens : 0,
      costUsd: 0,
    };
  };
}
