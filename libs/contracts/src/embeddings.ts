import { z } from 'zod';
import { agentIdSchema } from './chat';

/** Inputs one `/v1/embeddings` request may carry: the gateway splits them into each provider's batch size. */
export const MAX_EMBEDDING_INPUTS = 100_000;
/** Characters of one string input (OpenAI's own limit is 8192 tokens an input; this bounds the job, not the model). */
export const MAX_EMBEDDING_INPUT_CHARS = 200_000;

const tokenIdSchema = z.number().int().nonnegative().max(4_294_967_295);
const tokenArraySchema = z.array(tokenIdSchema).min(1).max(MAX_EMBEDDING_INPUT_CHARS);
const textInputSchema = z.string().min(1, 'an input may not be an empty string').max(MAX_EMBEDDING_INPUT_CHARS);

/** One input to embed: a text, or a list of token ids. */
export const embeddingInputSchema = z.union([textInputSchema, tokenArraySchema]);
export type EmbeddingInput = z.infer<typeof embeddingInputSchema>;

/** How the vectors come back: JSON numbers, or the little-endian float32 bytes of each vector in base64 (the openai SDK's default). */
export const embeddingEncodingSchema = z.enum(['float', 'base64']);
export type EmbeddingEncoding = z.infer<typeof embeddingEncodingSchema>;

/** Body of `POST /v1/embeddings`, in OpenAI's shape: `input` is a string, strings, one token array, or token arrays. */
export const embeddingsRequestSchema = z.object({
  model: z.string().min(1).max(256),
  input: z.union([
    textInputSchema,
    z.array(textInputSchema).min(1).max(MAX_EMBEDDING_INPUTS),
    tokenArraySchema,
    z.array(tokenArraySchema).min(1).max(MAX_EMBEDDING_INPUTS),
  ]),
  encoding_format: embeddingEncodingSchema.optional(),
  dimensions: z.number().int().min(1).max(65_536).optional(),
  user: agentIdSchema.optional(),
});
export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

/** What an embeddings job asks of a provider: the inputs in order (one entry each), the encoding and the size of the vectors. */
export const embeddingsParamsSchema = z.object({
  input: z.array(embeddingInputSchema).min(1).max(MAX_EMBEDDING_INPUTS),
  encoding_format: embeddingEncodingSchema,
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});
export type EmbeddingsParams = z.infer<typeof embeddingsParamsSchema>;

/** The inputs of a request as a list, one entry per vector asked for. */
export function embeddingInputsOf(input: EmbeddingsRequest['input']): EmbeddingInput[] {
  if (typeof input === 'string') return [input];
  if (input.length > 0 && typeof input[0] === 'number') return [input as number[]];
  return input as EmbeddingInput[];
}

/** An embeddings request as the enqueue service takes it (beside chat requests): routing fields and the provider's parameters. */
export interface EmbeddingsWork {
  kind: 'embeddings';
  agent_id?: string | undefined;
  model: string;
  priority?: number | undefined;
  embeddings: EmbeddingsParams;
}

/** The work of a parsed `/v1/embeddings` body (the agent is `user`, else the X-Agent-Id header). */
export function toEmbeddingsWork(request: EmbeddingsRequest, agentHeader?: string): EmbeddingsWork {
  const agentId = request.user ?? agentHeader;
  return {
    kind: 'embeddings',
    ...(agentId !== undefined ? { agent_id: agentId } : {}),
    model: request.model,
    embeddings: {
      input: embeddingInputsOf(request.input),
      encoding_format: request.encoding_format ?? 'float',
      ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
      ...(request.user !== undefined ? { user: request.user } : {}),
    },
  };
}

/** A vector as the job carries it: numbers (`float`) or base64 float32 bytes (`base64`), as the request asked. */
export const embeddingVectorSchema = z.union([z.array(z.number()), z.string()]);
export type EmbeddingVector = z.infer<typeof embeddingVectorSchema>;

/** Answer of `POST /v1/embeddings` (OpenAI's CreateEmbeddingResponse). */
export interface EmbeddingsResponse {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: EmbeddingVector }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/**
 * The JSON text of toEmbeddingsResponse, written without JSON.stringify scanning the vectors: a base64 vector holds
 * only characters JSON never escapes, so it is put between quotes as it is (a large answer is mostly vectors).
 */
export function embeddingsResponseText(result: Parameters<typeof toEmbeddingsResponse>[0]): string {
  const { before, after } = embeddingsResponseAround(result);
  return `${before}${embeddingsDataText(result.embeddings ?? [])}${after}`;
}

/**
 * Whether a text is all base64 characters (none of which JSON escapes): the decoder skips any other character, so
 * it then decodes to fewer bytes than the text's length gives. Several times faster than a regular expression
 * over the ~8 KB of a vector.
 */
function isBase64Text(text: string): boolean {
  return text.length % 4 === 0 && Buffer.from(text, 'base64').length === Buffer.byteLength(text, 'base64');
}

/** Each vector's JSON text, in input order, and whether all of them are ASCII (base64 and numbers are: their characters are their bytes). */
export interface EmbeddingVectorTexts {
  texts: string[];
  ascii: boolean;
}

/** Each vector's JSON text, written once for embeddingVectorsText and embeddingsDataText alike. */
export function embeddingVectorTexts(vectors: readonly EmbeddingVector[]): EmbeddingVectorTexts {
  let ascii = true;
  const texts = vectors.map((vector) => {
    if (typeof vector !== 'string') return JSON.stringify(vector);
    if (isBase64Text(vector)) return `"${vector}"`;
    ascii = false;
    return JSON.stringify(vector);
  });
  return { texts, ascii };
}

/** The pieces of the JSON array text of a job's vectors (embeddingVectorsText), to be joined or copied into bytes one by one. */
export function embeddingVectorsPieces(texts: readonly string[]): string[] {
  const pieces = ['['];
  texts.forEach((text, index) => pieces.push(index === 0 ? text : `,${text}`));
  pieces.push(']');
  return pieces;
}

/** The JSON array text of a job's vectors, written as embeddingsResponseText writes each (JSON.parse gives them back equal). */
export function embeddingVectorsText(vectors: readonly EmbeddingVector[]): string {
  return embeddingVectorsPieces(embeddingVectorTexts(vectors).texts).join('');
}

/** The pieces of an answer's `data` list text (embeddingsDataText), to be joined or copied into bytes one by one. */
export function embeddingsDataPieces(texts: readonly string[]): string[] {
  const pieces = ['['];
  texts.forEach((text, index) => pieces.push(`${index === 0 ? '' : ','}{"object":"embedding","index":${index},"embedding":`, text, '}'));
  pieces.push(']');
  return pieces;
}

/**
 * The JSON text of an answer's `data` list (`[{"object":"embedding","index":0,"embedding":…},…]`, input order),
 * as embeddingsResponseText writes it: what a sync reply carries beside its envelope, so the API writes the answer
 * around it without parsing it.
 */
export function embeddingsDataText(vectors: readonly EmbeddingVector[]): string {
  return embeddingsDataPieces(embeddingVectorTexts(vectors).texts).join('');
}

/** What goes before and after an answer's `data` list text (embeddingsDataText) in OpenAI's answer. */
export function embeddingsResponseAround(result: { model: string; usage: { prompt_tokens: number } }): { before: string; after: string } {
  const usage = { prompt_tokens: result.usage.prompt_tokens, total_tokens: result.usage.prompt_tokens };
  return { before: '{"object":"list","data":', after: `,"model":${JSON.stringify(result.model)},"usage":${JSON.stringify(usage)}}` };
}

/** OpenAI's answer from a job's vectors, in input order. */
export function toEmbeddingsResponse(result: {
  model: string;
  embeddings?: EmbeddingVector[] | undefined;
  usage: { prompt_tokens: number };
}): EmbeddingsResponse {
  return {
    object: 'list',
    data: (result.embeddings ?? []).map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model: result.model,
    usage: { prompt_tokens: result.usage.prompt_tokens, total_tokens: result.usage.prompt_tokens },
  };
}

/** One line of OpenAI's batch input format asking for embeddings (`url` `/v1/embeddings`). */
export const openAiEmbeddingsBatchLineSchema = z.object({
  custom_id: z.string().min(1).max(256),
  method: z.literal('POST'),
  url: z.enum(['/v1/embeddings', '/embeddings']),
  body: embeddingsRequestSchema,
});
