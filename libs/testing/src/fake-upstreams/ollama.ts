import type { ServerResponse } from 'node:http';
import { connectionFault, sleep, startFakeServer, words, type FakeServer, type RecordedRequest } from './http-server';
import { fakeDimensions, fakeEmbedding, fakeTokens, writeJson } from './embeddings';

/** What the fake Ollama does with the next call(s). */
export type OllamaBehaviour =
  | { kind: 'reply'; content: string; latencyMs?: number; chunkDelayMs?: number }
  /** An answer calling tools: Ollama sends them whole (object arguments, no ids), in one line before the last. */
  | { kind: 'tool-calls'; calls: { name: string; arguments: Record<string, unknown> }[]; content?: string }
  /** An error status with Ollama's bare `{"error": "..."}` body (404 for a model not pulled). */
  | { kind: 'status'; status: number; error?: string }
  /** Streams some chunks, then a bare `{"error": ...}` line with the status unchanged (200); unstreamed: HTTP 500. */
  | { kind: 'error-mid-stream'; content: string; error: string }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed' }
  /** Streams some chunks, then drops the connection before the `done: true` line. */
  | { kind: 'truncated-stream'; content: string };

/** A running fake Ollama; base URL for OLLAMA_BASE_URL is `url`. */
export interface FakeOllama extends FakeServer {
  setBehaviour(behave: (request: RecordedRequest, index: number) => OllamaBehaviour): void;
}

function line(model: string, content: string, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content }, done: false, ...extra })}\n`;
}

type Json = Record<string, unknown>;

/**
 * What the real `/api/chat` refuses with a 400 `{"error"}` (Go's JSON decoding into its structs): unknown roles,
 * content that is not a string, images that are not bare base64, tool-call arguments that are not an object,
 * tools without a function name, a format other than "json" or a schema.
 */
export function ollamaRequestProblem(body: Json): string | undefined {
  const messages = body['messages'];
  if (!Array.isArray(messages)) return 'json: cannot unmarshal messages into Go struct field ChatRequest.messages of type []api.Message';
  for (const [index, message] of (messages as Json[]).entries()) {
    if (!['system', 'user', 'assistant', 'tool'].includes(String(message['role']))) return `invalid role: ${String(message['role'])} (messages.${index})`;
    if (typeof message['content'] !== 'string')
      return `json: cannot unmarshal ${Array.isArray(message['content']) ? 'array' : typeof message['content']} into Go struct field Message.messages.content of type string`;
    const images = message['images'];
    if (images !== undefined && (!Array.isArray(images) || images.some((image) => typeof image !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(image))))
      return `illegal base64 data in messages.${index}.images`;
    for (const call of (message['tool_calls'] as Json[] | undefined) ?? []) {
      const fn = call['function'] as Json | undefined;
      if (typeof fn?.['name'] !== 'string') return `messages.${index}.tool_calls: function name required`;
      if (typeof fn['arguments'] !== 'object' || fn['arguments'] === null || Array.isArray(fn['arguments']))
        return 'json: cannot unmarshal string into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments';
    }
  }
  for (const tool of (body['tools'] as Json[] | undefined) ?? []) {
    if (tool['type'] !== 'function' || typeof (tool['function'] as Json | undefined)?.['name'] !== 'string') return 'tools: function name required';
  }
  const format = body['format'];
  if (format !== undefined && format !== 'json' && (typeof format !== 'object' || format === null)) return `invalid format: ${JSON.stringify(format)}`;
  return undefined;
}

async function replyToolCalls(request: RecordedRequest, res: ServerResponse, behaviour: Extract<OllamaBehaviour, { kind: 'tool-calls' }>) {
  const body = request.body as { model?: string; stream?: boolean };
  const model = body.model ?? 'unknown';
  const message = {
    role: 'assistant',
    content: behaviour.content ?? '',
    tool_calls: behaviour.calls.map((call) => ({ function: { name: call.name, arguments: call.arguments } })),
  };
  const final = { done: true, done_reason: 'stop', prompt_eval_count: 5, eval_count: 9 };
  if (body.stream === false) {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ model, created_at: new Date().toISOString(), message, ...final }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  res.write(`${JSON.stringify({ model, created_at: new Date().toISOString(), message, done: false })}\n`);
  res.end(line(model, '', final));
}

async function reply(request: RecordedRequest, res: ServerResponse, behaviour: Extract<OllamaBehaviour, { kind: 'reply' }>) {
  const body = request.body as { model?: string; stream?: boolean; messages?: { content?: string }[] };
  const model = body.model ?? 'unknown';
  const promptTokens = (body.messages ?? []).reduce((sum, message) => sum + words(message.content ?? ''), 0);
  const final = {
    done: true,
    done_reason: 'stop',
    total_duration: 5_000_000,
    load_duration: 1_000_000,
    prompt_eval_count: promptTokens,
    prompt_eval_duration: 1_000_000,
    eval_count: words(behaviour.content),
    eval_duration: 2_000_000,
  };
  if (behaviour.latencyMs) await sleep(behaviour.latencyMs);
  // Ollama streams unless told `stream: false`.
  if (body.stream === false) {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content: behaviour.content }, ...final }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (const piece of behaviour.content.match(/\S+\s*/g) ?? []) {
    if (behaviour.chunkDelayMs) await sleep(behaviour.chunkDelayMs);
    res.write(line(model, piece));
  }
  res.end(line(model, '', final));
}

/** Words of context the fake's models take: a longer input is refused with `truncate: false`, cut with `truncate: true`. */
export const FAKE_OLLAMA_CONTEXT_WORDS = 2048;

/**
 * `POST /api/embed`: `{model, input (a string or strings), truncate, dimensions}` → `{model, embeddings, total_duration,
 * load_duration, prompt_eval_count}`, float32 numbers; token ids and empty input are refused as the real one refuses them.
 */
async function embed(request: RecordedRequest, res: ServerResponse, raw: Parameters<typeof connectionFault>[1], behaviour: OllamaBehaviour) {
  const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Json;
  const model = typeof body['model'] === 'string' ? body['model'] : 'unknown';
  const input = body['input'];
  const inputs = typeof input === 'string' ? [input] : Array.isArray(input) ? input : undefined;
  if (!inputs || inputs.some((item) => typeof item !== 'string')) return writeJson(res, 400, { error: 'invalid input type' });
  const texts = inputs as string[];
  if (body['truncate'] === false && texts.some((text) => words(text) > FAKE_OLLAMA_CONTEXT_WORDS))
    return writeJson(res, 400, { error: 'the input length exceeds the context length' });
  switch (behaviour.kind) {
    case 'status':
      return writeJson(res, behaviour.status, { error: behaviour.error ?? `model "${model}" not found, try pulling it first` });
    case 'hang':
    case 'reset':
      return connectionFault(behaviour, raw);
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end('{"model": "x", "embeddings": [[0.1,');
      return;
    default: {
      if (behaviour.kind === 'reply' && behaviour.latencyMs) await sleep(behaviour.latencyMs);
      const dimensions = fakeDimensions(model, typeof body['dimensions'] === 'number' ? body['dimensions'] : 768);
      return writeJson(res, 200, {
        model,
        embeddings: texts.map((text) => Array.from(fakeEmbedding(model, text, dimensions))),
        total_duration: 14_143_917,
        load_duration: 1_019_500,
        prompt_eval_count: texts.reduce((sum, text) => sum + fakeTokens(text), 0),
      });
    }
  }
}

/** A fake Ollama speaking `/api/chat`: JSON, NDJSON streams, bare `{"error"}` bodies and mid-stream error lines. */
export async function startFakeOllama(options: { behave?: (request: RecordedRequest, index: number) => OllamaBehaviour } = {}): Promise<FakeOllama> {
  let behave = options.behave ?? (() => ({ kind: 'reply', content: 'Hello from the fake Ollama' }) as OllamaBehaviour);
  let count = 0;
  const server = await startFakeServer(async (request, res, raw) => {
    if (request.path === '/api/embed' && request.method === 'POST') return embed(request, res, raw, behave(request, count++));
    if (request.path !== '/api/chat' || request.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
      return;
    }
    const problem = ollamaRequestProblem((typeof request.body === 'object' && request.body !== null ? request.body : {}) as Json);
    if (problem) {
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: problem }));
      return;
    }
    const behaviour = behave(request, count++);
    const stream = (request.body as { stream?: boolean } | undefined)?.stream !== false;
    const model = (request.body as { model?: string } | undefined)?.model ?? 'unknown';
    switch (behaviour.kind) {
      case 'reply':
        return reply(request, res, behaviour);
      case 'tool-calls':
        return replyToolCalls(request, res, behaviour);
      case 'status':
        res.writeHead(behaviour.status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: behaviour.error ?? `model "${model}" not found, try pulling it first` }));
        return;
      case 'error-mid-stream':
        if (!stream) {
          res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify({ error: behaviour.error }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        for (const piece of behaviour.content.match(/\S+\s*/g) ?? []) res.write(line(model, piece));
        res.end(`${JSON.stringify({ error: behaviour.error })}\n`);
        return;
      case 'hang':
      case 'reset':
        return connectionFault(behaviour, raw);
      case 'malformed':
        res.writeHead(200, { 'content-type': stream ? 'application/x-ndjson' : 'application/json; charset=utf-8' });
        res.end('{"model": "x", "message": {"content": "unterminated\n');
        return;
      case 'truncated-stream':
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        for (const piece of behaviour.content.match(/\S+\s*/g) ?? []) res.write(line(model, piece));
        await sleep(20);
        raw.socket.destroy();
        return;
    }
  });
  return {
    ...server,
    setBehaviour(next) {
      behave = next;
    },
  };
}
