import type { ChatJobResult, ProviderId, ReasoningDelta, ToolCallDelta } from '@gateway/contracts';
import type { StreamFormat } from '../stream-format';
import { toMessagesErrorBody } from './messages-errors';
import { toMessagesUsage, toStopReason } from './from-chat-result';

export interface MessagesStreamOptions {
  /** The Message's id (`msg_…`). */
  id: string;
  /** The model the request named (message_start is sent before the upstream says which answered). */
  model: string;
}

/** The open content block: text, one tool call's tool_use, or one reasoning block's thinking (by their internal index). */
type OpenBlock = { kind: 'text'; index: number } | { kind: 'tool'; index: number; call: number } | { kind: 'thinking'; index: number; block: number };

/**
 * `POST /v1/messages` with `stream: true`: Anthropic's events, in its order and named by their `type` on the
 * `event:` line: message_start, then per content block content_block_start, its deltas (text_delta,
 * input_json_delta, thinking_delta, signature_delta) and content_block_stop, then message_delta (stop_reason and the usage) and message_stop.
 * `ping` events while the answer is awaited; a failure after the stream began is an `error` event.
 */
export function messagesStreamFormat(options: MessagesStreamOptions): StreamFormat {
  let started = false;
  let blocks = 0;
  let open: OpenBlock | undefined;
  /** The content block index of each tool call, by its internal index. */
  const callBlocks = new Map<number, number>();

  const start = (out: unknown[], model: string) => {
    if (started) return;
    started = true;
    out.push({
      type: 'message_start',
      message: {
        id: options.id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    });
  };
  const close = (out: unknown[]) => {
    if (open) out.push({ type: 'content_block_stop', index: open.index });
    open = undefined;
  };
  const openBlock = (out: unknown[], block: OpenBlock, contentBlock: unknown) => {
    close(out);
    open = block;
    blocks += 1;
    out.push({ type: 'content_block_start', index: block.index, content_block: contentBlock });
  };

  return {
    reasoning(deltas: readonly ReasoningDelta[], model: string) {
      const out: unknown[] = [];
      start(out, model);
      for (const delta of deltas) {
        if (delta.redacted !== undefined) {
          openBlock(out, { kind: 'thinking', index: blocks, block: delta.index }, { type: 'redacted_thinking', data: delta.redacted });
          close(out);
          continue;
        }
        if (open?.kind !== 'thinking' || open.block !== delta.index)
          openBlock(out, { kind: 'thinking', index: blocks, block: delta.index }, { type: 'thinking', thinking: '', signature: '' });
        const index = open!.index;
        if (delta.text) out.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: delta.text } });
        if (delta.signature) out.push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: delta.signature } });
      }
      return out;
    },
    chunk(text: string, model: string) {
      const out: unknown[] = [];
      start(out, model);
      if (open?.kind !== 'text') openBlock(out, { kind: 'text', index: blocks }, { type: 'text', text: '' });
      out.push({ type: 'content_block_delta', index: open!.index, delta: { type: 'text_delta', text } });
      return out;
    },
    toolCalls(deltas: readonly ToolCallDelta[], model: string, _provider: ProviderId) {
      const out: unknown[] = [];
      start(out, model);
      for (const delta of deltas) {
        let index = callBlocks.get(delta.index);
        if (index === undefined) {
          index = blocks;
          callBlocks.set(delta.index, index);
          openBlock(
            out,
            { kind: 'tool', index, call: delta.index },
            { type: 'tool_use', id: delta.id ?? `toolu_${delta.index}`, name: delta.name ?? '', input: {} },
          );
        }
        if (delta.arguments !== '') out.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: delta.arguments } });
      }
      return out;
    },
    done(result: ChatJobResult) {
      const out: unknown[] = [];
      start(out, result.model);
      close(out);
      out.push({
        type: 'message_delta',
        delta: { stop_reason: toStopReason(result.finish_reason), stop_sequence: null },
        usage: toMessagesUsage(result.usage),
        cost_usd: result.cost_usd,
      });
      out.push({ type: 'message_stop' });
      return out;
    },
    error: (error, requestId) => [toMessagesErrorBody(error.type, error.message, requestId)],
    keepAlive() {
      // Anthropic's streams open with message_start, pings included.
      const out: unknown[] = [];
      start(out, options.model);
      out.push({ type: 'ping' });
      return out;
    },
    eventName: (payload) => (payload as { type: string }).type,
  };
}
