import type { ServerResponse } from 'node:http';
import { startFakeServer, type FakeServer, type RecordedRequest } from './http-server';

/** What the fake Anthropic does with the next call(s). */
export type AnthropicBehaviour =
  | { kind: 'reply'; content: string; latencyMs?: number; chunkDelayMs?: number; stopReason?: string }
  /** An error status with Anthropic's `{"type":"error","error":{type,message}}` body. */
  | { kind: 'status'; status: number; errorType: string; message?: string; retryAfter?: string }
  /** HTTP 200, some text, then an `error` event (e.g. overloaded_error); unstreamed: HTTP 529. */
  | { kind: 'error-event'; content: string; errorType: string; message?: string }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed' }
  /** Streams some deltas, then drops the connection before message_stop. */
  | { kind: 'truncated-stream'; content: string };

/** A running fake Anthropic; its `url` goes in ANTHROPIC_BASE_URL. */
export interface FakeAnthropic extends FakeServer {
  setBehaviour(behave: (request: RecordedRequest, index: number) => AnthropicBehaviour): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const words = (text: string) => (text.trim() === '' ? 0 : text.trim().split(/\s+/).length);
const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const errorBody = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message } });

function inputTokens(request: RecordedRequest): number {
  const body = request.body as { system?: string; messages?: { content?: string }[] };
  return words(body.system ?? '') + (body.messages ?? []).reduce((sum, message) => sum + words(message.content ?? ''), 0);
}

async function streamText(res: ServerResponse, request: RecordedRequest, content: string, chunkDelayMs = 0) {
  const model = (request.body as { model?: string }).model ?? 'unknown';
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.write(event('message_start', { message: { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [], stop_reason: null, usage: { input_tokens: inputTokens(request), output_tokens: 1 } } }));
  res.write(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
  res.write(event('ping', {}));
  for (const piece of content.match(/\S+\s*/g) ?? []) {
    if (chunkDelayMs) await sleep(chunkDelayMs);
    res.write(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } }));
    res.write(event('ping', {}));
  }
}

/** A fake Anthropic Messages API: `x-api-key` and `anthropic-version` checked, JSON and SSE answers, `ping`s, error events. */
export async function startFakeAnthropic(options: { apiKey?: string; behave?: (request: RecordedRequest, index: number) => AnthropicBehaviour } = {}): Promise<FakeAnthropic> {
  let behave = options.behave ?? (() => ({ kind: 'reply', content: 'Hello from the fake Anthropic' }) as AnthropicBehaviour);
  let count = 0;
  const server = await startFakeServer(async (request, res, raw) => {
    const json = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    if (request.path !== '/v1/messages' || request.method !== 'POST') return json(404, errorBody('not_found_error', 'Not Found'));
    if (options.apiKey && request.headers['x-api-key'] !== options.apiKey) return json(401, errorBody('authentication_error', 'invalid x-api-key'));
    if (!request.headers['anthropic-version']) return json(400, errorBody('invalid_request_error', 'anthropic-version: header is required'));
    const body = request.body as { max_tokens?: unknown; stream?: boolean; model?: string };
    if (typeof body.max_tokens !== 'number') return json(400, errorBody('invalid_request_error', 'max_tokens: Field required'));
    const behaviour = behave(request, count++);
    switch (behaviour.kind) {
      case 'reply': {
        if (behaviour.latencyMs) await sleep(behaviour.latencyMs);
        const stopReason = behaviour.stopReason ?? 'end_turn';
        if (!body.stream) {
          return json(200, JSON.stringify({
            id: 'msg_fake', type: 'message', role: 'assistant', model: body.model, content: [{ type: 'text', text: behaviour.content }],
            stop_reason: stopReason, stop_sequence: null, usage: { input_tokens: inputTokens(request), output_tokens: words(behaviour.content) },
          }));
        }
        await streamText(res, request, behaviour.content, behaviour.chunkDelayMs);
        res.write(event('content_block_stop', { index: 0 }));
        res.write(event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: words(behaviour.content) } }));
        res.end(event('message_stop', {}));
        return;
      }
      case 'status':
        return json(behaviour.status, errorBody(behaviour.errorType, behaviour.message ?? `fake ${behaviour.errorType}`), behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {});
      case 'error-event':
        if (!body.stream) return json(529, errorBody(behaviour.errorType, behaviour.message ?? 'Overloaded'));
        await streamText(res, request, behaviour.content);
        res.end(event('error', { error: { type: behaviour.errorType, message: behaviour.message ?? 'Overloaded' } }));
        return;
      case 'hang':
        await new Promise<void>((resolve) => raw.socket.once('close', () => resolve()));
        return;
      case 'reset':
        raw.socket.destroy();
        return;
      case 'malformed':
        return json(200, '{"type": "message", "content": [ nope');
      case 'truncated-stream':
        await streamText(res, request, behaviour.content);
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
