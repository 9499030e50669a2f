import type { ServerResponse } from 'node:http';
import { connectionFault, sleep, startFakeServer, type FakeServer, type RecordedRequest } from './http-server';

/** What the fake Cursor Agent adapter does with the next call(s) (contract: docs/cursor-adapter.md). */
export type CursorBehaviour =
  | { kind: 'reply'; content: string; latencyMs?: number; chunkDelayMs?: number }
  /** An error status with the adapter's `{"error":{message,type,code}}` body (502 agent failed, 504 agent timed out, …). */
  | { kind: 'status'; status: number; message?: string; retryAfter?: string }
  /** Streams some text, then an error event (the agent command failed after it began to answer). */
  | { kind: 'error-mid-stream'; content: string; message: string }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed' };

/** A running fake adapter; its `url` goes in CURSOR_ADAPTER_URL. */
export interface FakeCursor extends FakeServer {
  setBehaviour(behave: (request: RecordedRequest, index: number) => CursorBehaviour): void;
}

const errorType = (status: number) =>
  status === 400 ? 'invalid_request_error' : status === 504 ? 'agent_timeout' : status === 503 ? 'agent_busy' : 'agent_error';
const chunk = (model: string, delta: Record<string, unknown>, finishReason: string | null = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-cursor', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;

async function reply(request: RecordedRequest, res: ServerResponse, behaviour: Extract<CursorBehaviour, { kind: 'reply' }>) {
  const body = request.body as { model?: string; stream?: boolean };
  const model = body.model ?? 'auto';
  const usage = { prompt_tokens: 5, completion_tokens: Math.ceil(behaviour.content.length / 4), total_tokens: 5 + Math.ceil(behaviour.content.length / 4) };
  if (behaviour.latencyMs) await sleep(behaviour.latencyMs);
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-cursor',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: behaviour.content }, finish_reason: 'stop' }],
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const piece of behaviour.content.match(/\S+\s*/g) ?? []) {
    if (behaviour.chunkDelayMs) await sleep(behaviour.chunkDelayMs);
    res.write(chunk(model, { content: piece }));
  }
  res.write(chunk(model, {}, 'stop'));
  res.write(`data: ${JSON.stringify({ id: 'chatcmpl-cursor', object: 'chat.completion.chunk', model, choices: [], usage })}\n\n`);
  res.end('data: [DONE]\n\n');
}

/** A fake of the Cursor Agent adapter app: chat completions under /v1, JSON and SSE, its error bodies. */
export async function startFakeCursor(options: { behave?: (request: RecordedRequest, index: number) => CursorBehaviour } = {}): Promise<FakeCursor> {
  let behave = options.behave ?? (() => ({ kind: 'reply', content: 'Hello from the fake Cursor agent' }) as CursorBehaviour);
  let count = 0;
  const server = await startFakeServer(async (request, res, raw) => {
    if (request.path !== '/v1/chat/completions' || request.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'no such route', type: 'not_found', code: 404 } }));
      return;
    }
    const behaviour = behave(request, count++);
    const model = (request.body as { model?: string } | undefined)?.model ?? 'auto';
    switch (behaviour.kind) {
      case 'reply':
        return reply(request, res, behaviour);
      case 'status':
        res.writeHead(behaviour.status, { 'content-type': 'application/json', ...(behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {}) });
        res.end(
          JSON.stringify({
            error: { message: behaviour.message ?? `fake status ${behaviour.status}`, type: errorType(behaviour.status), code: behaviour.status },
          }),
        );
        return;
      case 'error-mid-stream':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const piece of behaviour.content.match(/\S+\s*/g) ?? []) res.write(chunk(model, { content: piece }));
        res.end(`data: ${JSON.stringify({ error: { message: behaviour.message, type: 'agent_error', code: 502 } })}\n\n`);
        return;
      case 'hang':
      case 'reset':
        return connectionFault(behaviour, raw);
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html>gateway error</html>');
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
