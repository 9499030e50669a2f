import type { ServerResponse } from 'node:http';
import { connectionFault, sleep, startFakeServer, type FakeServer, type RecordedRequest } from './http-server';
import { openAiLogprobs, openAiUsage, toolCallChunks, wireToolCalls, writeData, type FakeToolCall, type FakeUsageDetails } from './openai-answers';
import { openAiRequestProblem } from './openai-rules';
import { openAiEmbeddingsAnswer, openAiEmbeddingsProblem, writeJson } from './embeddings';

/** What the fake OpenRouter does with the next call(s). */
export type OpenRouterBehaviour =
  /** `endDelayMs`: the end of a streamed answer comes that long after its `[DONE]` (separate reads, as over a real network). */
  | ({
      kind: 'reply';
      content: string;
      latencyMs?: number;
      chunkDelayMs?: number;
      endDelayMs?: number;
      /** Signed reasoning before the answer, as `reasoning_details` (streamed as text pieces, then the signature). */
      reasoning?: string;
    } & FakeUsageDetails)
  /** An answer calling tools (finish_reason `tool_calls`); streamed in OpenAI's fragments, `interleave` mixes the calls' pieces. */
  | ({ kind: 'tool-calls'; calls: FakeToolCall[]; content?: string; interleave?: boolean; latencyMs?: number } & FakeUsageDetails)
  | { kind: 'status'; status: number; body?: unknown; retryAfter?: string }
  /** HTTP 200 whose body (or stream event) is an error object: a real OpenRouter quirk. */
  | { kind: 'error-in-body'; message: string; code: number }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed' }
  /** Streams some chunks, then drops the connection without [DONE]. */
  | { kind: 'truncated-stream'; content: string }
  /** Sends 200 and (for a stream) some chunks, then falls silent without closing. */
  | { kind: 'silent-after-headers'; content?: string }
  /** A 200 whose body is not what was asked for (an HTML error page from a proxy). */
  | { kind: 'wrong-content-type' }
  /** A 200 answer (JSON, or a stream of chunks) of about `bytes` bytes. */
  | { kind: 'huge'; bytes: number }
  /** An error status whose body quotes the credentials it received (some upstreams do). */
  | { kind: 'echo-key'; status: number };

/** One model of the fake's `GET /api/v1/models`: USD per token, as strings, like the real list. */
export interface FakeOpenRouterModel {
  id: string;
  prompt: string;
  completion: string;
  inputCacheRead?: string;
  inputCacheWrite?: string;
  internalReasoning?: string;
}

/** What `GET /api/v1/models` answers: the list, an error status, a 200 that is not a list, an empty list, or a reset. */
export type ModelsBehaviour =
  { kind: 'list'; models: FakeOpenRouterModel[] } | { kind: 'status'; status: number } | { kind: 'garbage' } | { kind: 'empty' } | { kind: 'reset' };

export interface FakeOpenRouterOptions {
  /** The key it accepts; others get its 401 body. */
  apiKey?: string;
  /** Answer 400, as the real endpoint does, to a request breaking OpenAI's rules (see openAiRequestProblem); default true. */
  strict?: boolean;
  /** Decides per request; default replies "Hello from the fake OpenRouter". */
  behave?: (request: RecordedRequest, index: number) => OpenRouterBehaviour;
  /** What its models endpoint answers; default a list of two models. */
  models?: ModelsBehaviour;
  /** What `GET /api/v1/embeddings/models` lists (USD per token, completion "0"); default two embedding models. */
  embeddingModels?: FakeOpenRouterModel[];
}

export interface FakeOpenRouter extends FakeServer {
  /** Base URL to put in OPENROUTER_BASE_URL (ends in /api/v1). */
  baseUrl: string;
  setBehaviour(behave: (request: RecordedRequest, index: number) => OpenRouterBehaviour): void;
  setModels(models: ModelsBehaviour): void;
  /** How many times `GET /api/v1/models` was asked. */
  modelsFetches(): number;
}

/** The signature the fake gives its reasoning (a real one is opaque too). */
export const fakeReasoningSignature = 'fake-or-signature-YmFy';

/** The models list the fake answers by default. */
export const defaultFakeModels: FakeOpenRouterModel[] = [
  { id: 'thudm/glm-4-9b-chat', prompt: '0.000000035', completion: '0.000000138' },
  { id: 'openai/gpt-4o', prompt: '0.0000025', completion: '0.00001', inputCacheRead: '0.00000125' },
];

/** The embedding models the fake lists and prices by default. */
export const defaultFakeEmbeddingModels: FakeOpenRouterModel[] = [
  { id: 'openai/text-embedding-3-small', prompt: '0.00000002', completion: '0' },
  { id: 'openai/text-embedding-3-large', prompt: '0.00000013', completion: '0' },
];

/**
 * `POST /api/v1/embeddings`: OpenAI's shape, `usage.cost` at the listed price, OpenRouter's error envelope, and the
 * same faults as chat (status with retry-after, an error in a 200 body, reset, hang, malformed JSON).
 */
async function embeddings(
  request: RecordedRequest,
  res: ServerResponse,
  raw: Parameters<typeof connectionFault>[1],
  behaviour: OpenRouterBehaviour,
  models: readonly FakeOpenRouterModel[],
) {
  const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
  const problem = openAiEmbeddingsProblem(body);
  if (problem) return writeJson(res, 400, { error: { message: problem.message, code: 400, metadata: { provider_name: 'Fake' } } });
  switch (behaviour.kind) {
    case 'status':
      return writeJson(
        res,
        behaviour.status,
        behaviour.body ?? { error: { message: `fake status ${behaviour.status}`, code: behaviour.status } },
        behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {},
      );
    case 'error-in-body':
      return writeJson(res, 200, { error: { message: behaviour.message, code: behaviour.code } });
    case 'hang':
    case 'reset':
      return connectionFault(behaviour, raw);
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data": [ {"embedding": [0.1, ');
      return;
    default: {
      if ('latencyMs' in behaviour && behaviour.latencyMs) await sleep(behaviour.latencyMs);
      const price = Number(models.find((model) => model.id === body['model'])?.prompt ?? '0');
      const answer = openAiEmbeddingsAnswer(body, (tokens) => ({ cost: tokens * price }));
      return writeJson(res, 200, { id: `embd-${Math.random().toString(36).slice(2)}`, ...answer });
    }
  }
}

/** The real endpoint's shape (only some of its fields): id, name, context, architecture, pricing as strings. */
function modelsList(models: readonly FakeOpenRouterModel[]) {
  return {
    data: [
      // OpenRouter's own router is listed with "-1" prices.
      { id: 'openrouter/auto', name: 'Auto Router', created: 1700000000, context_length: 2000000, pricing: { prompt: '-1', completion: '-1' } },
      ...models.map((model) => ({
        id: model.id,
        canonical_slug: model.id,
        name: model.id,
        created: 1720000000,
        context_length: 131072,
        architecture: { modality: 'text->text', input_modalities: ['text'], output_modalities: ['text'], tokenizer: 'Other' },
        pricing: {
          prompt: model.prompt,
          completion: model.completion,
          request: '0',
          image: '0',
          web_search: '0',
          internal_reasoning: model.internalReasoning ?? '0',
          ...(model.inputCacheRead ? { input_cache_read: model.inputCacheRead } : {}),
          ...(model.inputCacheWrite ? { input_cache_write: model.inputCacheWrite } : {}),
        },
        top_provider: { context_length: 131072, max_completion_tokens: 16384, is_moderated: false },
        supported_parameters: ['max_tokens', 'temperature', 'tools'],
      })),
    ],
  };
}

async function reply(request: RecordedRequest, res: ServerResponse, behaviour: Extract<OpenRouterBehaviour, { kind: 'reply' }>) {
  const body = request.body as { model?: string; stream?: boolean };
  const model = body.model ?? 'unknown';
  const id = `gen-${Math.random().toString(36).slice(2)}`;
  const usage = openAiUsage(request, behaviour.content, behaviour);
  if (behaviour.latencyMs) await sleep(behaviour.latencyMs);
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id,
        provider: 'Fake',
        model,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        choices: [
          {
            index: 0,
            finish_reason: 'stop',
            native_finish_reason: 'stop',
            logprobs: openAiLogprobs(request, behaviour.content),
            message: {
              role: 'assistant',
              content: behaviour.content,
              ...(behaviour.reasoning !== undefined
                ? { reasoning_details: [{ type: 'reasoning.text', text: behaviour.reasoning, signature: fakeReasoningSignature, index: 0 }] }
                : {}),
            },
          },
        ],
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(': OPENROUTER PROCESSING\n\n');
  if (behaviour.reasoning !== undefined) {
    const details = [
      ...(behaviour.reasoning.match(/\S+\s*/g) ?? []).map((text) => ({ type: 'reasoning.text', text, index: 0 })),
      { type: 'reasoning.text', text: '', signature: fakeReasoningSignature, index: 0 },
    ];
    for (const detail of details)
      writeData(res, {
        id,
        model,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { role: 'assistant', content: '', reasoning_details: [detail] } }],
      });
  }
  const pieces = behaviour.content.match(/\S+\s*/g) ?? [];
  for (const piece of pieces) {
    if (behaviour.chunkDelayMs) await sleep(behaviour.chunkDelayMs);
    // The caller went away (a cancelled call): stop, as a real server does.
    if (res.destroyed) return;
    const logprobs = openAiLogprobs(request, piece);
    writeData(res, {
      id,
      model,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { role: 'assistant', content: piece }, finish_reason: null, ...(logprobs ? { logprobs } : {}) }],
    });
  }
  res.write(
    `data: ${JSON.stringify({ id, model, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: '' }, finish_reason: 'stop' }] })}\n\n`,
  );
  res.write(`data: ${JSON.stringify({ id, model, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
  if (!behaviour.endDelayMs) {
    res.end('data: [DONE]\n\n');
    return;
  }
  res.write('data: [DONE]\n\n');
  await sleep(behaviour.endDelayMs);
  if (!res.destroyed) res.end();
}

async function replyToolCalls(request: RecordedRequest, res: ServerResponse, behaviour: Extract<OpenRouterBehaviour, { kind: 'tool-calls' }>) {
  const body = request.body as { model?: string; stream?: boolean };
  const model = body.model ?? 'unknown';
  const id = `gen-${Math.random().toString(36).slice(2)}`;
  const content = behaviour.content ?? null;
  const usage = openAiUsage(request, `${content ?? ''} ${behaviour.calls.map((call) => call.name).join(' ')}`, behaviour);
  if (behaviour.latencyMs) await sleep(behaviour.latencyMs);
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    const message = { role: 'assistant', content, refusal: null, tool_calls: wireToolCalls(behaviour.calls) };
    res.end(
      JSON.stringify({
        id,
        provider: 'Fake',
        model,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        choices: [{ index: 0, finish_reason: 'tool_calls', native_finish_reason: 'tool_calls', logprobs: null, message }],
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id,
    model,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  writeData(res, chunk({ role: 'assistant', content: content ?? '' }));
  for (const deltas of toolCallChunks(behaviour.calls, behaviour.interleave)) {
    if (res.destroyed) return;
    writeData(res, chunk({ tool_calls: deltas }));
  }
  writeData(res, chunk({}, 'tool_calls'));
  writeData(res, { id, model, object: 'chat.completion.chunk', choices: [], usage });
  res.end('data: [DONE]\n\n');
}

/** Writes about `bytes` bytes of a valid answer, honouring backpressure; stops when the client goes away. */
async function sendHuge(res: ServerResponse, raw: { socket: { destroyed: boolean } }, bytes: number, stream: boolean) {
  const piece = 'lorem ipsum '.repeat(1365);
  const write = (text: string) => (res.write(text) ? Promise.resolve() : new Promise<void>((resolve) => res.once('drain', () => resolve())));
  res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
  if (!stream) await write('{"id":"gen-h","model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"');
  for (let sent = 0; sent < bytes && !raw.socket.destroyed; sent += piece.length) {
    await write(
      stream
        ? `data: ${JSON.stringify({ id: 'gen-h', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`
        : piece,
    );
  }
  if (raw.socket.destroyed) return;
  res.end(stream ? 'data: [DONE]\n\n' : '"}}]}');
}

/** A fake OpenRouter speaking its wire format: JSON and SSE answers, its error bodies and quirks. */
export async function startFakeOpenRouter(options: FakeOpenRouterOptions = {}): Promise<FakeOpenRouter> {
  let behave = options.behave ?? (() => ({ kind: 'reply', content: 'Hello from the fake OpenRouter' }) as OpenRouterBehaviour);
  let count = 0;
  let models: ModelsBehaviour = options.models ?? { kind: 'list', models: defaultFakeModels };
  let modelsFetches = 0;
  const embeddingModels = options.embeddingModels ?? defaultFakeEmbeddingModels;
  const server = await startFakeServer(async (request, res, raw) => {
    if (request.method === 'GET' && request.path.split('?')[0] === '/api/v1/embeddings/models') {
      // Not counted: modelsFetches counts the chat models list, which price-refresh tests count.
      server.requests.splice(server.requests.lastIndexOf(request), 1);
      if (models.kind !== 'list') return writeJson(res, 503, { error: { message: 'fake embeddings models unavailable', code: 503 } });
      return writeJson(res, 200, modelsList(embeddingModels));
    }
    if (request.method === 'GET' && request.path.split('?')[0] === '/api/v1/models') {
      // Counted apart (modelsFetches): `requests` holds the chat calls, which tests count.
      server.requests.splice(server.requests.lastIndexOf(request), 1);
      modelsFetches += 1;
      switch (models.kind) {
        case 'list':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(modelsList(models.models)));
          return;
        case 'empty':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ data: [] }));
          return;
        case 'garbage':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"data": [ {"id": "a/b", "pricing": ');
          return;
        case 'status':
          res.writeHead(models.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `fake status ${models.status}`, code: models.status } }));
          return;
        case 'reset':
          raw.socket.destroy();
          return;
      }
    }
    const isEmbeddings = request.path.startsWith('/api/v1/embeddings') && request.method === 'POST';
    if (!isEmbeddings && (!request.path.startsWith('/api/v1/chat/completions') || request.method !== 'POST')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Not Found', code: 404 } }));
      return;
    }
    if (options.apiKey && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'No auth credentials found', code: 401 } }));
      return;
    }
    if (isEmbeddings) return embeddings(request, res, raw, behave(request, count++), embeddingModels);
    const parsed = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
    const problem = options.strict === false ? undefined : openAiRequestProblem(parsed);
    if (problem) {
      // OpenRouter relays the upstream's 400 with its own envelope (code, message, metadata).
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: problem.message, code: 400, param: problem.param, metadata: { provider_name: 'Fake' } } }));
      return;
    }
    const behaviour = behave(request, count++);
    const stream = (request.body as { stream?: boolean } | undefined)?.stream === true;
    switch (behaviour.kind) {
      case 'reply':
        return reply(request, res, behaviour);
      case 'tool-calls':
        return replyToolCalls(request, res, behaviour);
      case 'status':
        res.writeHead(behaviour.status, { 'content-type': 'application/json', ...(behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {}) });
        res.end(JSON.stringify(behaviour.body ?? { error: { message: `fake status ${behaviour.status}`, code: behaviour.status } }));
        return;
      case 'error-in-body':
        if (stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(': OPENROUTER PROCESSING\n\n');
          res.end(
            `data: ${JSON.stringify({ id: 'gen-x', object: 'chat.completion.chunk', error: { message: behaviour.message, code: behaviour.code }, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] })}\n\n`,
          );
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: behaviour.message, code: behaviour.code } }));
        }
        return;
      case 'hang':
      case 'reset':
        return connectionFault(behaviour, raw);
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"choices": [ this is not json');
        return;
      case 'silent-after-headers':
        res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
        if (stream && behaviour.content)
          res.write(
            `data: ${JSON.stringify({ id: 'gen-s', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: behaviour.content }, finish_reason: null }] })}\n\n`,
          );
        await new Promise<void>((resolve) => raw.socket.once('close', () => resolve()));
        return;
      case 'wrong-content-type':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      case 'huge':
        return sendHuge(res, raw, behaviour.bytes, stream);
      case 'echo-key':
        res.writeHead(behaviour.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `key rejected: ${String(request.headers.authorization)}`, code: behaviour.status } }));
        return;
      case 'truncated-stream': {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const piece of behaviour.content.match(/\S+\s*/g) ?? []) {
          res.write(
            `data: ${JSON.stringify({ id: 'gen-t', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`,
          );
        }
        await sleep(20);
        raw.socket.destroy();
        return;
      }
    }
  });
  return {
    ...server,
    baseUrl: `${server.url}/api/v1`,
    setBehaviour(next) {
      behave = next;
    },
    setModels(next) {
      models = next;
    },
    modelsFetches: () => modelsFetches,
  };
}
