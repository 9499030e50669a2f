import type { ServerResponse } from 'node:http';
import { startFakeServer, type FakeServer, type RecordedRequest } from './http-server';

/** What the fake Ollama does with the next call(s). */
export type OllamaBehaviour =
  | { kind: 'reply'; content: string; latencyMs?: number; chunkDelayMs?: number }
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const words = (text: string) => (text.trim() === '' ? 0 : text.trim().split(/\s+/).length);

function line(model: string, content: string, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content }, done: false, ...extra })}\n`;
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

/** A fake Ollama speaking `/api/chat`: JSON, NDJSON streams, bare `{"error"}` bodies and mid-stream error lines. */
export async function startFakeOllama(options: { behave?: (request: RecordedRequest, index: number) => OllamaBehaviour } = {}): Promise<FakeOllama> {
  let behave = options.behave ?? (() => ({ kind: 'reply', content: 'Hello from the fake Ollama' }) as OllamaBehaviour);
  let count = 0;
  const server = await startFakeServer(async (request, res, raw) => {
    if (request.path !== '/api/chat' || request.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
      return;
    }
    const behaviour = behave(request, count++);
    const stream = (request.body as { stream?: boolean } | undefined)?.stream !== false;
    const model = (request.body as { model?: string } | undefined)?.model ?? 'unknown';
    switch (behaviour.kind) {
      case 'reply':
        return reply(request, res, behaviour);
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
        await new Promise<void>((resolve) => raw.socket.once('close', () => resolve()));
        return;
      case 'reset':
        raw.socket.destroy();
        return;
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
