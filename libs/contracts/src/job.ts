import { z } from 'zod';
import { chatParamsShape, finishReasonSchema, usageSchema } from './chat';
import { embeddingVectorSchema, embeddingsParamsSchema } from './embeddings';
import { reasoningBlockSchema, toolCallSchema } from './messages';
import { jobErrorSchema } from './errors';
import { providerIdSchema } from './provider-id';

/** The scheduling lanes, served in this order: calls a client waits on, asynchronous jobs, batch requests. */
export const laneSchema = z.enum(['interactive', 'job', 'batch']);
export type Lane = z.infer<typeof laneSchema>;

/** What the API puts in every job, whatever it asks of a provider. The model is already resolved (default applied). */
const jobBaseShape = {
  request_id: z.string(),
  /** The API route the request came in by (the request log's `route`). */
  route: z.string().optional(),
  /** The W3C `traceparent` of the API's span, set while traces are exported: every worker continues that trace. */
  traceparent: z.string().optional(),
  agent_id: z.string().optional(),
  /** The API key the job was made with: it owns the job, and its ledger is billed. */
  key_id: z.string().optional(),
  model: z.string(),
  /** When set, the API instance whose reply channel waits for this job. */
  reply_to: z.string().optional(),
  /** When set, the outcome is POSTed there once the job is done (asynchronous jobs). */
  callback_url: z.string().optional(),
  /** Unix ms when the API accepted the request. */
  accepted_at: z.number(),
  /** Stream the answer: the worker publishes chunk messages, then a stream-end (see streamReplyMessageSchemas). */
  stream: z.boolean().optional(),
  /**
   * Keep the stream's messages in the job's Redis stream (attach and resume at GET /v1/jobs/{id}/stream); with
   * reply_to they are also published to that instance, without it (an asynchronous job) only kept.
   */
  resumable: z.boolean().optional(),
  /** How GET /v1/jobs/{id}/stream words a kept stream: the gateway's events, or OpenAI's chunks (with the usage chunk). */
  stream_format: z.enum(['gateway', 'openai', 'openai-usage']).optional(),
  /** A job made under an Idempotency-Key: the hash of the request it was made for (another body is a 409). */
  request_hash: z.string().optional(),
  /** USD reserved against the budgets at admission; the worker settles the job to its real cost (or releases it). */
  reserved_usd: z.number().nonnegative().optional(),
  /** A request of a batch with `max_cost_usd`: it runs only while the batch's spend is below the cap. */
  batch_cap: z.object({ batch_id: z.string(), max_cost_usd: z.number().positive() }).optional(),
  /** Its scheduling lane (absent on jobs of older versions: read as `interactive` when reply_to is set, else `job`). */
  lane: laneSchema.optional(),
  /** The tenant whose turn the job takes in its lane: `key:<id>`, else `agent:<id>` or `anonymous`. */
  tenant: z.string().optional(),
  /** A batch request's batch id: the worker checks whether its batch was cancelled before it starts. */
  batch_id: z.string().optional(),
  /** The batch has a callback_url: the worker notes this request's end, so the last one sends the batch's callback. */
  batch_callback: z.boolean().optional(),
  /** Unix ms after which a request not started yet ends as `expired` (a batch's completion_window). */
  expires_at: z.number().optional(),
  /**
   * Keep the job's outcome (result or error) for this many seconds under its kept-outcome key, beyond the job's
   * retention: work whose answer is read long after it ends (a stored response, a background one nobody waits on).
   */
  keep_outcome_seconds: z.number().int().positive().optional(),
  /**
   * The response-cache entry of this job's request (its scope, `key:<keyId>` or a caller kind, and its hash): its
   * answer fills it (a successful, complete answer only) for `ttl` seconds and clears the request's in-flight mark
   * (identical requests wait for this job instead of calling the upstream again). `lookup`: the worker looks the entry
   * up first, as the job starts (a request of a batch or an asynchronous job that opted in; an interactive request
   * was looked up by the API).
   */
  response_cache: z.object({ scope: z.string(), hash: z.string(), ttl: z.number().int().positive(), lookup: z.boolean().optional() }).optional(),
};

/** A chat job: the chat parameters as the request gave them (validated by the API): messages, tools, sampling, … */
export const chatJobDataSchema = z.object({ ...jobBaseShape, ...chatParamsShape });
export type ChatJobData = z.infer<typeof chatJobDataSchema>;

/** An embeddings job (`kind: 'embeddings'`): the inputs and how their vectors come back. */
export const embeddingsJobDataSchema = z.object({
  ...jobBaseShape,
  kind: z.literal('embeddings'),
  embeddings: embeddingsParamsSchema,
  /**
   * `key`: the API waiting on `reply_to` reads the vectors from their key (`embeddings_stored`), so the reply names
   * the key instead of carrying them (they cross Redis once). Absent (a job of an older API): the reply carries them.
   */
  reply_vectors: z.literal('key').optional(),
});
export type EmbeddingsJobData = z.infer<typeof embeddingsJobDataSchema>;

/** Any job of the queue: chat (no `kind`) or embeddings. Scheduling, billing and delivery read only the fields they share. */
export type GatewayJobData = ChatJobData | EmbeddingsJobData;

/** Whether a job asks for embeddings (else it is a chat job). */
export function isEmbeddingsJob(data: GatewayJobData): data is EmbeddingsJobData {
  return 'kind' in data && data.kind === 'embeddings';
}

/**
 * A job's lane: as asked, else interactive when a caller waits on its reply channel, else an asynchronous job. The
 * API sets it on every job it makes; the worker reads jobs of older versions, which carry none, by the same rule.
 */
export function laneOf(lane: Lane | undefined, replyTo: string | undefined): Lane {
  return lane ?? (replyTo !== undefined ? 'interactive' : 'job');
}

/** What a worker returns for a chat job (and keeps in BullMQ as the job's return value). */
export const chatJobResultSchema = z.object({
  content: z.string(),
  model: z.string(),
  provider: providerIdSchema,
  usage: usageSchema,
  cost_usd: z.number().nonnegative(),
  finish_reason: finishReasonSchema,
  /** The tool calls the model asked for (finish_reason `tool_calls`). */
  tool_calls: z.array(toolCallSchema).optional(),
  /** The upstream's token log probabilities (OpenAI's `choices[].logprobs`), when asked for and given. */
  logprobs: z.record(z.string(), z.unknown()).optional(),
  /** An embeddings job's vectors, in input order, in the encoding it asked for (content is then empty). */
  embeddings: z.array(embeddingVectorSchema).optional(),
  /**
   * Where an embeddings job's vectors are kept instead (a Redis key holding their JSON array, with the result's
   * retention as TTL) and how many there are: the job's return value and its queue events then carry no vectors.
   */
  embeddings_stored: z.object({ key: z.string().min(1), count: z.number().int().nonnegative() }).optional(),
  /** The model's reasoning before its answer, where the provider gives it (text and signature, or redacted). */
  reasoning_blocks: z.array(reasoningBlockSchema).optional(),
});
export type ChatJobResult = z.infer<typeof chatJobResultSchema>;

/** The keys of the commonest result (a plain chat answer), in the schema's order, and of its usage. */
const PLAIN_RESULT_KEYS = ['content', 'model', 'provider', 'usage', 'cost_usd', 'finish_reason'] as const;
const PLAIN_USAGE_KEYS = ['prompt_tokens', 'completion_tokens', 'total_tokens'] as const;
const providerIds: ReadonlySet<string> = new Set(providerIdSchema.options);

/** Whether an object's own keys are exactly `keys`, in that order. */
function hasKeysInOrder(value: object, keys: readonly string[]): boolean {
  let at = 0;
  for (const key in value) {
    if (key !== keys[at]) return false;
    at += 1;
  }
  return at === keys.length;
}

const isCount = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A parsed return value (JSON.parse'd) as a result when it is a plain chat answer in the schema's order (no tool
 * calls, logprobs, vectors or reasoning; usage without details) that chatJobResultSchema accepts: the same value
 * its parse would give, key for key and in order, without it (reading a batch's output, it cost more than the JSON
 * parse). Undefined for anything else: parse that with the schema.
 */
export function plainChatJobResult(value: unknown): ChatJobResult | undefined {
  if (!isRecord(value) || !hasKeysInOrder(value, PLAIN_RESULT_KEYS)) return undefined;
  const { content, model, provider, usage, cost_usd: cost, finish_reason: finish } = value;
  if (typeof content !== 'string' || typeof model !== 'string' || typeof provider !== 'string' || !providerIds.has(provider)) return undefined;
  if (!isRecord(usage) || !hasKeysInOrder(usage, PLAIN_USAGE_KEYS) || !PLAIN_USAGE_KEYS.every((key) => isCount(usage[key]))) return undefined;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0 || (finish !== null && typeof finish !== 'string')) return undefined;
  return value as ChatJobResult;
}

/**
 * A fragment of a streamed tool call: the first fragment of an `index` carries its `id` and `name`, later ones
 * more `arguments` text (OpenAI's streaming rules, whatever the provider).
 */
export const toolCallDeltaSchema = z.object({
  index: z.number().int().nonnegative(),
  id: z.string().optional(),
  name: z.string().optional(),
  arguments: z.string(),
});
export type ToolCallDelta = z.infer<typeof toolCallDeltaSchema>;

/**
 * A fragment of streamed reasoning: `index` numbers the reasoning blocks from 0; a fragment carries more text, the
 * block's signature, or a whole redacted block. Reasoning comes before the answer's text and tool calls.
 */
export const reasoningDeltaSchema = z.object({
  index: z.number().int().nonnegative(),
  text: z.string().optional(),
  signature: z.string().optional(),
  redacted: z.string().optional(),
});
export type ReasoningDelta = z.infer<typeof reasoningDeltaSchema>;

/**
 * The run of a job (BullMQ's attempts started) whose messages start its stream over: a job whose stream is not
 * kept, run again (its lock lapsed, or it was handed back) after its stream began, sends its answer again from the
 * start, seq from 0. The API relays such a run's text after what its client already has (or ends the stream when it
 * says something else), and drops what an earlier run still sends. Absent: the first run (or a resumable job's run,
 * which goes on from the kept messages instead).
 */
const restartSchema = z.number().int().min(2).optional();

/**
 * Stream messages: `seq` counts the chunk messages of one job from 0, and stream-end carries the number of chunk
 * messages sent before it, so the API detects any gap (a chunk lost or reordered) instead of passing it on.
 */
export const streamChunkMessageSchema = z.object({
  kind: z.literal('chunk'),
  job_id: z.string(),
  seq: z.number().int().nonnegative(),
  restart: restartSchema,
  /** Reasoning fragments (they come before this message's text). */
  reasoning_deltas: z.array(reasoningDeltaSchema).optional(),
  /** Text of the answer (it comes before this message's tool-call fragments). */
  text: z.string(),
  tool_calls: z.array(toolCallDeltaSchema).optional(),
  model: z.string(),
  provider: providerIdSchema,
});
export type StreamChunkMessage = z.infer<typeof streamChunkMessageSchema>;

export const streamEndMessageSchema = z.object({
  kind: z.literal('stream-end'),
  job_id: z.string(),
  restart: restartSchema,
  /** How many chunk messages came before this one. */
  seq: z.number().int().nonnegative(),
  result: chatJobResultSchema,
});
export type StreamEndMessage = z.infer<typeof streamEndMessageSchema>;

/** A message on an API instance's reply channel: the outcome of one job, or a part of its stream. */
export const replyMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('result'), job_id: z.string(), result: chatJobResultSchema }),
  z.object({ kind: z.literal('error'), job_id: z.string(), restart: restartSchema, error: jobErrorSchema }),
  streamChunkMessageSchema,
  streamEndMessageSchema,
]);
export type ReplyMessage = z.infer<typeof replyMessageSchema>;

/**
 * A reply message as JSON.parse gave it, parsed: the commonest one (a stream chunk of text only, no tool calls or
 * reasoning) checked by hand, a few field reads instead of the schema's parse of every token; anything else by the
 * schema, which throws for what it refuses. A hand-checked chunk is the same object (fields the schema does not
 * name stay on it unread).
 */
export function parseReplyMessage(value: unknown): ReplyMessage {
  if (isRecord(value) && value['kind'] === 'chunk' && value['tool_calls'] === undefined && value['reasoning_deltas'] === undefined) {
    const { job_id: jobId, seq, restart, text, model, provider } = value;
    if (
      typeof jobId === 'string' &&
      isCount(seq) &&
      (restart === undefined || (typeof restart === 'number' && isCount(restart) && restart >= 2)) &&
      typeof text === 'string' &&
      typeof model === 'string' &&
      typeof provider === 'string' &&
      providerIds.has(provider)
    )
      return value as StreamChunkMessage;
  }
  return replyMessageSchema.parse(value);
}
