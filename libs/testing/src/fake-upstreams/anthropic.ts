import type { ServerResponse } from 'node:http';
import { connectionFault, sleep, startFakeServer, words, type FakeServer, type RecordedRequest } from './http-server';

/** What the fake Anthropic does with the next call(s). */
export type AnthropicBehaviour =
  | {
      kind: 'reply';
      content: string;
      latencyMs?: number;
      chunkDelayMs?: number;
      stopReason?: string;
      cacheReadTokens?: number;
      cacheCreationTokens?: number;
      /** Extended thinking before the text: a signed thinking block (streamed as thinking_delta, then signature_delta). */
      thinking?: string;
    }
  /** Answers with tool_use blocks (after an optional text block), stop_reason tool_use; streamed as input_json_delta fragments. */
  | { kind: 'tool-use'; calls: { name: string; input: Record<string, unknown> }[]; content?: string; latencyMs?: number }
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

const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const errorBody = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message } });

type Block = { type?: unknown; text?: unknown; content?: unknown };

function blockWords(content: unknown): number {
  if (typeof content === 'string') return words(content);
  if (!Array.isArray(content)) return 0;
  return (content as Block[]).reduce(
    (sum, block) => sum + (typeof block.text === 'string' ? words(block.text) : 0) + (typeof block.content === 'string' ? words(block.content) : 0),
    0,
  );
}

function inputTokens(request: RecordedRequest): number {
  const body = request.body as { system?: unknown; messages?: { content?: unknown }[] };
  return blockWords(body.system ?? '') + (body.messages ?? []).reduce((sum, message) => sum + blockWords(message.content), 0);
}

const blockTypes = new Set(['text', 'image', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking']);

/** The signature the fake gives its thinking blocks (a real one is opaque too). */
export const fakeThinkingSignature = 'fake-signature-Zm9v';

/**
 * The rules of the real Messages API that a mapping can break, as its 400 messages say them: alternating turns that
 * start with a user turn, only role and content in a message, known block types, tool_result blocks answering a
 * tool_use of the turn just before (and placed first), tools with name and input_schema, a tool_choice naming a tool.
 */
export function anthropicRequestProblem(body: Record<string, unknown>): string | undefined {
  const messages = Array.isArray(body['messages']) ? (body['messages'] as Record<string, unknown>[]) : undefined;
  if (!messages || messages.length === 0) return 'messages: Field required';
  let previousToolUses = new Set<string>();
  for (const [index, message] of messages.entries()) {
    const extra = Object.keys(message).filter((key) => key !== 'role' && key !== 'content');
    if (extra.length > 0) return `messages.${index}.${extra[0]}: Extra inputs are not permitted`;
    const expected = index % 2 === 0 ? 'user' : 'assistant';
    if (message['role'] !== expected) return `messages: roles must alternate between "user" and "assistant", starting with "user" (messages.${index})`;
    const content = message['content'];
    const blocks = typeof content === 'string' ? [] : Array.isArray(content) ? (content as Record<string, unknown>[]) : undefined;
    if (!blocks) return `messages.${index}.content: Input should be a valid list`;
    const toolUses = new Set<string>();
    let seenOther = false;
    for (const [blockIndex, block] of blocks.entries()) {
      const where = `messages.${index}.content.${blockIndex}`;
      if (typeof block['type'] !== 'string' || !blockTypes.has(block['type']))
        return `${where}.type: Input tag '${String(block['type'])}' does not match any of the expected tags`;
      if (block['type'] === 'tool_use') {
        if (message['role'] !== 'assistant') return `${where}: tool_use blocks may only be in assistant messages`;
        if (
          typeof block['id'] !== 'string' ||
          typeof block['name'] !== 'string' ||
          typeof block['input'] !== 'object' ||
          block['input'] === null ||
          Array.isArray(block['input'])
        )
          return `${where}: tool_use needs id, name and an input object`;
        toolUses.add(block['id']);
      }
      if (block['type'] === 'tool_result') {
        if (seenOther) return `${where}: tool_result blocks must come first in the message content`;
        if (!previousToolUses.has(String(block['tool_use_id']))) {
          return `messages.${index}.content.${blockIndex}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block['tool_use_id'])}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        }
      } else seenOther = true;
      if (block['type'] === 'image') {
        const source = block['source'] as Record<string, unknown> | undefined;
        const valid =
          source &&
          ((source['type'] === 'base64' && typeof source['data'] === 'string' && /^image\/(jpeg|png|gif|webp)$/.test(String(source['media_type']))) ||
            (source['type'] === 'url' && /^https?:\/\//.test(String(source['url']))));
        if (!valid) return `${where}.source: invalid image source`;
      }
    }
    previousToolUses = toolUses;
  }
  const tools = body['tools'];
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return 'tools: Input should be a valid list';
    for (const [index, tool] of (tools as Record<string, unknown>[]).entries()) {
      if (typeof tool['name'] !== 'string' || typeof tool['input_schema'] !== 'object' || tool['input_schema'] === null)
        return `tools.${index}: name and input_schema are required`;
    }
  }
  const choice = body['tool_choice'] as Record<string, unknown> | undefined;
  if (choice !== undefined) {
    if (!['auto', 'any', 'tool', 'none'].includes(String(choice['type'])))
      return `tool_choice.type: Input tag '${String(choice['type'])}' does not match any of the expected tags`;
    if (choice['type'] === 'tool' && !(Array.isArray(tools) && (tools as Record<string, unknown>[]).some((tool) => tool['name'] === choice['name'])))
      return `tool_choice: tool ${String(choice['name'])} not found in tools`;
  }
  return undefined;
}

/** The cache counts of an answer's usage (a stream repeats them in message_delta, as newer API versions do). */
const cacheUsage = (behaviour: { cacheReadTokens?: number; cacheCreationTokens?: number }) => ({
  ...(behaviour.cacheReadTokens !== undefined ? { cache_read_input_tokens: behaviour.cacheReadTokens } : {}),
  ...(behaviour.cacheCreationTokens !== undefined ? { cache_creation_input_tokens: behaviour.cacheCreationTokens } : {}),
});

/** The head of every streamed answer: SSE headers and `message_start` with the prompt's tokens. */
function startMessageStream(res: ServerResponse, request: RecordedRequest): void {
  const model = (request.body as { model?: string }).model ?? 'unknown';
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.write(
    event('message_start', {
      message: {
        id: 'msg_fake',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        usage: { input_tokens: inputTokens(request), output_tokens: 1 },
      },
    }),
  );
}

/** Writes a tool_use answer as a stream: text block, then per call a tool_use block whose input comes in fragments. */
async function streamToolUse(res: ServerResponse, request: RecordedRequest, behaviour: Extract<AnthropicBehaviour, { kind: 'tool-use' }>) {
  startMessageStream(res, request);
  let index = 0;
  if (behaviour.content) {
    res.write(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
    res.write(event('content_block_delta', { index, delta: { type: 'text_delta', text: behaviour.content } }));
    res.write(event('content_block_stop', { index }));
    index += 1;
  }
  for (const [callIndex, call] of behaviour.calls.entries()) {
    res.write(event('content_block_start', { index, content_block: { type: 'tool_use', id: `toolu_fake_${callIndex}`, name: call.name, input: {} } }));
    const json = JSON.stringify(call.input);
    const third = Math.ceil(json.length / 3);
    for (const fragment of [json.slice(0, third), json.slice(third, 2 * third), json.slice(2 * third)]) {
      res.write(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: fragment } }));
    }
    res.write(event('content_block_stop', { index }));
    index += 1;
  }
  res.write(event('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 7 } }));
  res.end(event('message_stop', {}));
}

async function streamText(res: ServerResponse, request: RecordedRequest, content: string, chunkDelayMs = 0, thinking?: string) {
  startMessageStream(res, request);
  let index = 0;
  if (thinking !== undefined) {
    res.write(event('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
    for (const piece of thinking.match(/\S+\s*/g) ?? []) res.write(event('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } }));
    res.write(event('content_block_delta', { index, delta: { type: 'signature_delta', signature: fakeThinkingSignature } }));
    res.write(event('content_block_stop', { index }));
    index += 1;
  }
  res.write(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
  res.write(event('ping', {}));
  for (const piece of content.match(/\S+\s*/g) ?? []) {
    if (chunkDelayMs) await sleep(chunkDelayMs);
    res.write(event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
    res.write(event('ping', {}));
  }
}

/** A fake Anthropic Messages API: `x-api-key` and `anthropic-version` checked, JSON and SSE answers, `ping`s, error events. */
export async function startFakeAnthropic(
  options: { apiKey?: string; behave?: (request: RecordedRequest, index: number) => AnthropicBehaviour } = {},
): Promise<FakeAnthropic> {
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
    const problem = anthropicRequestProblem(request.body as Record<string, unknown>);
    if (problem) return json(400, errorBody('invalid_request_error', problem));
    const behaviour = behave(request, count++);
    switch (behaviour.kind) {
      case 'reply': {
        if (behaviour.latencyMs) await sleep(behaviour.latencyMs);
        const stopReason = behaviour.stopReason ?? 'end_turn';
        if (!body.stream) {
          return json(
            200,
            JSON.stringify({
              id: 'msg_fake',
              type: 'message',
              role: 'assistant',
              model: body.model,
              content: [
                ...(behaviour.thinking !== undefined ? [{ type: 'thinking', thinking: behaviour.thinking, signature: fakeThinkingSignature }] : []),
                { type: 'text', text: behaviour.content },
              ],
              stop_reason: stopReason,
              stop_sequence: null,
              usage: {
                input_tokens: inputTokens(request),
                output_tokens: words(behaviour.content),
                ...cacheUsage(behaviour),
              },
            }),
          );
        }
        const textIndex = behaviour.thinking !== undefined ? 1 : 0;
        await streamText(res, request, behaviour.content, behaviour.chunkDelayMs, behaviour.thinking);
        res.write(event('content_block_stop', { index: textIndex }));
        res.write(
          event('message_delta', {
            delta: { stop_reason: stopReason, stop_sequence: null },
            usage: { output_tokens: words(behaviour.content), ...cacheUsage(behaviour) },
          }),
        );
        res.end(event('message_stop', {}));
        return;
      }
      case 'tool-use': {
        if (behaviour.latencyMs) await sleep(behaviour.latencyMs);
        if (body.stream) return streamToolUse(res, request, behaviour);
        const blocks = [
          ...(behaviour.content ? [{ type: 'text', text: behaviour.content }] : []),
          ...behaviour.calls.map((call, index) => ({ type: 'tool_use', id: `toolu_fake_${index}`, name: call.name, input: call.input })),
        ];
        return json(
          200,
          JSON.stringify({
            id: 'msg_fake',
            type: 'message',
            role: 'assistant',
            model: body.model,
            content: blocks,
            stop_reason: 'tool_use',
            stop_sequence: null,
            usage: { input_tokens: inputTokens(request), output_tokens: 7 },
          }),
        );
      }
      case 'status':
        return json(
          behaviour.status,
          errorBody(behaviour.errorType, behaviour.message ?? `fake ${behaviour.errorType}`),
          behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {},
        );
      case 'error-event':
        if (!body.stream) return json(529, errorBody(behaviour.errorType, behaviour.message ?? 'Overloaded'));
        await streamText(res, request, behaviour.content);
        res.end(event('error', { error: { type: behaviour.errorType, message: behaviour.message ?? 'Overloaded' } }));
        return;
      case 'hang':
      case 'reset':
        return connectionFault(behaviour, raw);
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
