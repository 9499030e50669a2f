import type {
  BatchCreated,
  BatchList,
  BatchView,
  ChatMessage,
  ChatResponse,
  FileDeleted,
  FileList,
  FileObject,
  EmbeddingsRequest,
  EmbeddingsResponse,
  JobAccepted,
  JobView,
  ProvidersView,
  UsageReport,
} from '@gateway/contracts';
import { createBatchFromFile, fileContent, fileRequests, uploadBatchFile, type FileBatchOptions } from './files';
import { RawBody, httpSettings, newIdempotencyKey, sendJson, type CallOptions, type HttpSettings, type ResumeOptions, type RetryOptions } from './http';
import { poll } from './poll';
import { responseBody, streamResponse } from './responses';
import type { ResponseInputItem, ResponseInputItemList, ResponseObject, ResponseOptions, ResponseStreamEvent } from './responses-types';
import { streamChat } from './stream';
import type { BatchRequest, ChatOptions, ChatParameters, EmbeddingsOptions, JobOptions, StreamChunk, WaitOptions } from './types';

/** Options of GatewayLLMClient. */
export interface GatewayLLMClientOptions {
  /** The gateway's address, e.g. `http://localhost:8080`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` when the gateway requires it. */
  token?: string;
  /** Per-call timeout (default 120 s). */
  timeoutMs?: number;
  /** Retry of 429/503 honouring Retry-After (off by default). */
  retry?: RetryOptions;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** Extra headers on every call. */
  headers?: Record<string, string>;
  /** Resumption of broken streams from their last event (default: up to 3 reconnections; `{maxResumes: 0}` turns it off). */
  resume?: ResumeOptions;
}

const finished = new Set<JobView['status']>(['completed', 'failed', 'cancelled', 'expired']);

/** The wire name of each chat parameter. */
const wireNames: Readonly<Record<keyof ChatParameters, string>> = {
  temperature: 'temperature',
  maxTokens: 'max_tokens',
  tools: 'tools',
  toolChoice: 'tool_choice',
  parallelToolCalls: 'parallel_tool_calls',
  responseFormat: 'response_format',
  stop: 'stop',
  topP: 'top_p',
  seed: 'seed',
  presencePenalty: 'presence_penalty',
  frequencyPenalty: 'frequency_penalty',
  logprobs: 'logprobs',
  topLogprobs: 'top_logprobs',
  reasoningEffort: 'reasoning_effort',
  reasoning: 'reasoning',
  user: 'user',
  metadata: 'metadata',
};

function chatBody(agentId: string | undefined, messages: ChatMessage[], options: ChatOptions) {
  const body: Record<string, unknown> = { ...(agentId ? { agent_id: agentId } : {}), messages };
  if (options.model !== undefined) body['model'] = options.model;
  for (const [name, wire] of Object.entries(wireNames) as [keyof ChatParameters, string][]) {
    if (options[name] !== undefined) body[wire] = options[name];
  }
  if (options.priority !== undefined) body['priority'] = options.priority;
  return body;
}

function callOptions(options: { signal?: AbortSignal; timeoutMs?: number; idempotencyKey?: string }): CallOptions {
  return {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
  };
}

/** The TypeScript client of the gateway's HTTP API. Runs wherever `fetch` does (Node 20, browsers). */
export class GatewayLLMClient {
  private readonly settings: HttpSettings;

  constructor(options: GatewayLLMClientOptions) {
    this.settings = httpSettings(options, 120_000);
  }

  /** The options of a POST that creates work: with retries on, it carries an Idempotency-Key, so a retry is never run or billed twice. */
  private workOptions(options: CallOptions & { idempotencyKey?: string }): CallOptions {
    const key = options.idempotencyKey ?? (this.settings.retry.maxRetries > 0 ? newIdempotencyKey() : undefined);
    return callOptions({ ...options, ...(key !== undefined ? { idempotencyKey: key } : {}) });
  }

  /** Synchronous chat: answers when the gateway's job is done. */
  chat(agentId: string, messages: ChatMessage[], options: ChatOptions = {}): Promise<ChatResponse> {
    return sendJson<ChatResponse>(this.settings, 'POST', '/v1/chat', chatBody(agentId, messages, options), this.workOptions(options));
  }

  /**
   * Streamed chat (`POST /v1/chat/stream`): content chunks, then one `done` chunk with usage and cost. An error after
   * the stream began is thrown from the loop as its typed error. Aborting the signal (or leaving the loop) cancels
   * the job and its upstream call; `timeoutMs` bounds the whole stream.
   */
  stream(agentId: string, messages: ChatMessage[], options: ChatOptions = {}): AsyncGenerator<StreamChunk> {
    return streamChat(this.settings, chatBody(agentId, messages, options), callOptions(options));
  }

  /**
   * Embeddings (`POST /v1/embeddings`, OpenAI's shape): one vector per input, in input order, as numbers (`float`, the
   * default) or base64 float32 bytes (`encodingFormat: 'base64'`, decode with `decodeEmbedding`). Long input lists are
   * split and joined by the gateway; keys, budgets and failover apply as to chat.
   */
  embeddings(model: string, input: EmbeddingsRequest['input'], options: EmbeddingsOptions = {}): Promise<EmbeddingsResponse> {
    const body: EmbeddingsRequest = {
      model,
      input,
      ...(options.encodingFormat !== undefined ? { encoding_format: options.encodingFormat } : {}),
      ...(options.dimensions !== undefined ? { dimensions: options.dimensions } : {}),
      ...(options.user !== undefined ? { user: options.user } : {}),
    };
    return sendJson<EmbeddingsResponse>(this.settings, 'POST', '/v1/embeddings', body, this.workOptions(options));
  }

  /** Enqueues an asynchronous job (202); poll it with getJob/waitForJob or have it POSTed to callbackUrl. */
  submitJob(agentId: string, messages: ChatMessage[], options: JobOptions = {}): Promise<JobAccepted> {
    const body = { ...chatBody(agentId, messages, options), ...(options.callbackUrl ? { callback_url: options.callbackUrl } : {}) };
    return sendJson<JobAccepted>(this.settings, 'POST', '/v1/jobs', body, this.workOptions(options));
  }

  /** A job's status, with its result or error once finished. */
  getJob(jobId: string, options: CallOptions = {}): Promise<JobView> {
    return sendJson<JobView>(this.settings, 'GET', `/v1/jobs/${encodeURIComponent(jobId)}`, undefined, options);
  }

  /** Polls a job until it is completed, failed or cancelled. */
  waitForJob(jobId: string, options: WaitOptions = {}): Promise<JobView> {
    return poll(
      (signal) => this.getJob(jobId, signal ? { signal } : {}),
      (view) => finished.has(view.status),
      `job ${jobId}`,
      options,
    );
  }

  /** Cancels a queued job, or aborts a running one; a finished job is left as it is. */
  cancelJob(jobId: string, options: CallOptions = {}): Promise<JobView> {
    return sendJson<JobView>(this.settings, 'DELETE', `/v1/jobs/${encodeURIComponent(jobId)}`, undefined, options);
  }

  /**
   * Enqueues many requests at once: an array, or JSONL text (one chat request, or one OpenAI batch input line
   * `{custom_id, method, url, body}`, per line). `maxCostUsd`: the batch's spending cap (requests past it end
   * `budget_exceeded` without running).
   */
  submitBatch(requests: BatchRequest[] | string, options: CallOptions & { maxCostUsd?: number } = {}): Promise<BatchCreated> {
    // The cap as a query parameter: it fits JSONL bodies as well as arrays.
    const path = options.maxCostUsd !== undefined ? `/v1/batches?max_cost_usd=${encodeURIComponent(String(options.maxCostUsd))}` : '/v1/batches';
    const sendOptions = this.workOptions(options);
    if (typeof requests === 'string') return sendJson<BatchCreated>(this.settings, 'POST', path, new RawBody(requests, 'application/jsonl'), sendOptions);
    const items: Record<string, unknown>[] = requests.map((request) => ({
      ...chatBody(request.agentId, request.messages, request),
      ...(request.customId !== undefined ? { custom_id: request.customId } : {}),
    }));
    return sendJson<BatchCreated>(this.settings, 'POST', path, items, sendOptions);
  }

  /** A batch's counts by status, and each request's outcome when `results` is true. */
  getBatch(batchId: string, options: CallOptions & { results?: boolean } = {}): Promise<BatchView> {
    return sendJson<BatchView>(this.settings, 'GET', `/v1/batches/${encodeURIComponent(batchId)}${options.results ? '?results=true' : ''}`, undefined, options);
  }

  /** The caller's batches, newest first: a page of `limit` (default 20) after the batch `after`. */
  listBatches(options: CallOptions & { after?: string; limit?: number } = {}): Promise<BatchList> {
    const query = new URLSearchParams({
      ...(options.after !== undefined ? { after: options.after } : {}),
      ...(options.limit !== undefined ? { limit: String(options.limit) } : {}),
    }).toString();
    return sendJson<BatchList>(this.settings, 'GET', `/v1/batches${query ? `?${query}` : ''}`, undefined, options);
  }

  /** Cancels what of a batch has not run (it never runs); running requests finish, finished results stay. */
  cancelBatch(batchId: string, options: CallOptions = {}): Promise<BatchView> {
    return sendJson<BatchView>(this.settings, 'POST', `/v1/batches/${encodeURIComponent(batchId)}/cancel`, undefined, options);
  }

  /** Uploads a JSONL file of OpenAI batch lines (`POST /v1/files`, purpose `batch`); refused at its first bad line. */
  uploadBatchFile(content: string | Blob, options: CallOptions & { filename?: string } = {}): Promise<FileObject> {
    return uploadBatchFile(this.settings, content, options.filename ?? 'batch.jsonl', options);
  }

  /** Creates a batch of an uploaded file's lines (OpenAI's `batches.create`): its Batch object. */
  createBatchFromFile(options: FileBatchOptions): Promise<BatchView> {
    return createBatchFromFile(this.settings, { ...options, ...this.workOptions(options) });
  }

  getFile(fileId: string, options: CallOptions = {}): Promise<FileObject> {
    return fileRequests.get(this.settings, fileId, options);
  }

  /** The caller's uploaded files, newest first. */
  listFiles(options: CallOptions & { after?: string; limit?: number } = {}): Promise<FileList> {
    return fileRequests.list(this.settings, options);
  }

  deleteFile(fileId: string, options: CallOptions = {}): Promise<FileDeleted> {
    return fileRequests.delete(this.settings, fileId, options);
  }

  /** A file's content in text pieces as it arrives (a batch's output_file_id and error_file_id too, while it runs). */
  fileContent(fileId: string, options: CallOptions = {}): AsyncGenerator<string> {
    return fileContent(this.settings, fileId, options);
  }

  /**
   * `POST /v1/responses` (OpenAI's Responses API): the Response; with `background: true` it comes back `queued` at
   * once (see waitForResponse). `input` may be left out with `previousResponseId`.
   */
  createResponse(input: string | ResponseInputItem[] | undefined, options: ResponseOptions = {}): Promise<ResponseObject> {
    return sendJson<ResponseObject>(this.settings, 'POST', '/v1/responses', responseBody(input, options, false), this.workOptions(options));
  }

  /**
   * `POST /v1/responses` with `stream: true`: its typed events (`response.created`, …, `response.output_text.delta`,
   * …, `response.completed`). A background stream that breaks off is read again after its last event.
   */
  streamResponse(input: string | ResponseInputItem[] | undefined, options: ResponseOptions = {}): AsyncGenerator<ResponseStreamEvent> {
    return streamResponse(this.settings, responseBody(input, options, true), this.workOptions(options));
  }

  /** A stored response (another key's is 404). */
  getResponse(responseId: string, options: CallOptions = {}): Promise<ResponseObject> {
    return sendJson<ResponseObject>(this.settings, 'GET', `/v1/responses/${encodeURIComponent(responseId)}`, undefined, options);
  }

  /** Polls a (background) response until it is no longer queued or in progress. */
  waitForResponse(responseId: string, options: WaitOptions = {}): Promise<ResponseObject> {
    const settled = (response: ResponseObject) => response.status !== 'queued' && response.status !== 'in_progress';
    return poll((signal) => this.getResponse(responseId, signal ? { signal } : {}), settled, `response ${responseId}`, options);
  }

  /** Cancels a background response (`cancelled`); a finished one is left as it is. */
  cancelResponse(responseId: string, options: CallOptions = {}): Promise<ResponseObject> {
    return sendJson<ResponseObject>(this.settings, 'POST', `/v1/responses/${encodeURIComponent(responseId)}/cancel`, undefined, options);
  }

  /** Deletes a stored response and its input items. */
  deleteResponse(responseId: string, options: CallOptions = {}): Promise<{ id: string; object: 'response'; deleted: boolean }> {
    return sendJson(this.settings, 'DELETE', `/v1/responses/${encodeURIComponent(responseId)}`, undefined, options);
  }

  /** A page of a stored response's input items (`limit`, after the item `after`, `order` asc or desc). */
  listResponseInputItems(
    responseId: string,
    options: CallOptions & { after?: string; limit?: number; order?: 'asc' | 'desc' } = {},
  ): Promise<ResponseInputItemList> {
    const query = new URLSearchParams({
      ...(options.after !== undefined ? { after: options.after } : {}),
      ...(options.limit !== undefined ? { limit: String(options.limit) } : {}),
      ...(options.order !== undefined ? { order: options.order } : {}),
    }).toString();
    return sendJson<ResponseInputItemList>(
      this.settings,
      'GET',
      `/v1/responses/${encodeURIComponent(responseId)}/input_items${query ? `?${query}` : ''}`,
      undefined,
      options,
    );
  }

  /** Per provider: configured, deprecated, circuit state and call counts. */
  providers(options: CallOptions = {}): Promise<ProvidersView> {
    return sendJson<ProvidersView>(this.settings, 'GET', '/v1/providers', undefined, options);
  }

  /** Spend today and this month (UTC) against the budgets, by agent, model and provider. */
  usage(options: CallOptions = {}): Promise<UsageReport> {
    return sendJson<UsageReport>(this.settings, 'GET', '/v1/usage', undefined, options);
  }

  /** `{status: 'ok'}` when the gateway and its Redis answer; throws UnavailableError when not. */
  health(options: CallOptions = {}): Promise<{ status: string }> {
    return sendJson<{ status: string }>(this.settings, 'GET', '/healthz', undefined, options);
  }
}
