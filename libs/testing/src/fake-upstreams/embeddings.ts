import type { ServerResponse } from 'node:http';
import { mockVector } from '@gateway/providers';
import { words } from './http-server';

type Json = Record<string, unknown>;

/** The most inputs OpenAI's `/v1/embeddings` takes in one call. */
export const OPENAI_MAX_EMBEDDING_INPUTS = 2048;

/** A fake model's vector size: text-embedding-3-large 3072, every other 1536, unless `dimensions` asks fewer. */
export function fakeDimensions(model: string, dimensions: number | undefined): number {
  return dimensions ?? (model.includes('large') ? 3072 : 1536);
}

/** The fake upstreams' vector of an input: deterministic float32 values, unlike the mock provider's (another seed). */
export function fakeEmbedding(model: string, input: string | number[], dimensions: number): Float32Array {
  return mockVector(`fake:${model}`, input, dimensions);
}

/** The inputs of an OpenAI-shaped body as a list (a string, strings, one token array, token arrays). */
export function fakeInputs(input: unknown): (string | number[])[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0 && typeof input[0] === 'number') return [input as number[]];
  return Array.isArray(input) ? (input as (string | number[])[]) : [];
}

/** Tokens the fakes count for an input: its words (or token ids). */
export const fakeTokens = (input: string | number[]) => (typeof input === 'string' ? Math.max(1, words(input)) : input.length);

/** What OpenAI's `/v1/embeddings` refuses with a 400, as `{message, param}`; undefined when it takes the body. */
export function openAiEmbeddingsProblem(body: Json): { message: string; param: string | null } | undefined {
  const input = body['input'];
  const inputs = fakeInputs(input);
  const invalid = { message: "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", param: null };
  if (typeof body['model'] !== 'string') return { message: 'you must provide a model parameter', param: null };
  if (inputs.length === 0 || inputs.length > OPENAI_MAX_EMBEDDING_INPUTS) return invalid;
  if (inputs.some((item) => (typeof item === 'string' ? item === '' : !Array.isArray(item) || item.length === 0))) return invalid;
  const format = body['encoding_format'];
  if (format !== undefined && format !== 'float' && format !== 'base64')
    return { message: `'${String(format)}' is not one of ['float', 'base64'] - 'encoding_format'`, param: 'encoding_format' };
  if (body['dimensions'] !== undefined && !String(body['model']).includes('text-embedding-3'))
    return { message: 'This model does not support specifying dimensions.', param: null };
  return undefined;
}

/** OpenAI's CreateEmbeddingResponse for a body (vectors in its `encoding_format`); `extraUsage` adds fields (OpenRouter's cost). */
export function openAiEmbeddingsAnswer(body: Json, extraUsage: (promptTokens: number) => Json = () => ({})): Json {
  const model = String(body['model']);
  const dimensions = fakeDimensions(model, typeof body['dimensions'] === 'number' ? body['dimensions'] : undefined);
  const inputs = fakeInputs(body['input']);
  let promptTokens = 0;
  const data = inputs.map((input, index) => {
    promptTokens += fakeTokens(input);
    const vector = fakeEmbedding(model, input, dimensions);
    const embedding = body['encoding_format'] === 'base64' ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector);
    return { object: 'embedding', index, embedding };
  });
  return { object: 'list', data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens, ...extraUsage(promptTokens) } };
}

/** Writes a JSON answer. */
export function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
