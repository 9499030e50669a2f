import type { ChatJobResult, ToolCallDelta } from '@gateway/contracts';
import type { StreamFormat } from '../stream-format';
import { functionCallItem, functionCallItemId, messageItem, messageItemId, toResponse, type ResponseMeta } from './from-chat-result';

export interface ResponsesStreamOptions {
  meta: ResponseMeta;
  /** `starting_after`: events up to this sequence number are not sent again (the same messages make the same events). */
  startingAfter?: number | undefined;
}

type OpenItem =
  { kind: 'message'; outputIndex: number; text: string } | { kind: 'call'; outputIndex: number; index: number; id: string; name: string; arguments: string };

/**
 * `POST /v1/responses` with `stream: true`: OpenAI's typed events, each with its `sequence_number` and named by its
 * `type` on the `event:` line: response.created and response.in_progress first, then per output item its added
 * event, its content or argument deltas, and at the end their done events and response.completed (or
 * response.incomplete; response.failed when it fails). Text opens one message item; each tool call a function_call.
 */
export function responsesStreamFormat(options: ResponsesStreamOptions): StreamFormat {
  const { meta } = options;
  const startingAfter = options.startingAfter ?? -1;
  let sequence = 0;
  let started = false;
  const items: OpenItem[] = [];
  let message: Extract<OpenItem, { kind: 'message' }> | undefined;
  const calls = new Map<number, Extract<OpenItem, { kind: 'call' }>>();

  // Each event is a fresh object: numbered in place.
  const emit = (out: unknown[], event: Record<string, unknown>) => {
    event['sequence_number'] = sequence;
    if (sequence > startingAfter) out.push(event);
    sequence += 1;
  };
  // The message item's id, the same in every event of the stream.
  const itemId = messageItemId(meta.id);
  const start = (out: unknown[]) => {
    if (started) return;
    started = true;
    // The opening Response is built once: created differs from in_progress only by its status when queued.
    const running = toResponse(meta, { status: 'in_progress' });
    emit(out, { type: 'response.created', response: meta.request.background ? { ...running, status: 'queued' } : running });
    emit(out, { type: 'response.in_progress', response: running });
  };
  const openMessage = (out: unknown[]) => {
    if (message) return message;
    message = { kind: 'message', outputIndex: items.length, text: '' };
    items.push(message);
    emit(out, { type: 'response.output_item.added', output_index: message.outputIndex, item: messageItem(meta.id, '', 'in_progress') });
    emit(out, {
      type: 'response.content_part.added',
      item_id: itemId,
      output_index: message.outputIndex,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
    });
    return message;
  };
  const callItem = (call: Extract<OpenItem, { kind: 'call' }>, status: 'in_progress' | 'completed') => functionCallItem(meta.id, call.index, call, status);

  return {
    chunk(text) {
      const out: unknown[] = [];
      start(out);
      const open = openMessage(out);
      open.text += text;
      emit(out, {
        type: 'response.output_text.delta',
        item_id: itemId,
        output_index: open.outputIndex,
        content_index: 0,
        delta: text,
        logprobs: [],
      });
      return out;
    },
    toolCalls(deltas: readonly ToolCallDelta[]) {
      const out: unknown[] = [];
      start(out);
      for (const delta of deltas) {
        let call = calls.get(delta.index);
        if (!call) {
          call = { kind: 'call', outputIndex: items.length, index: delta.index, id: delta.id ?? `call_${delta.index}`, name: delta.name ?? '', arguments: '' };
          calls.set(delta.index, call);
          items.push(call);
          emit(out, { type: 'response.output_item.added', output_index: call.outputIndex, item: callItem(call, 'in_progress') });
        }
        if (delta.arguments === '') continue;
        call.arguments += delta.arguments;
        emit(out, {
          type: 'response.function_call_arguments.delta',
          item_id: functionCallItemId(meta.id, call.index),
          output_index: call.outputIndex,
          delta: delta.arguments,
        });
      }
      return out;
    },
    done(result: ChatJobResult) {
      const out: unknown[] = [];
      start(out);
      // An answer with no text and no calls still has its (empty) message, as OpenAI's do.
      if (!message && (result.content !== '' || (result.tool_calls ?? []).length === 0)) openMessage(out);
      const output: unknown[] = [];
      for (const item of items) {
        if (item.kind === 'message') {
          const done = messageItem(meta.id, item.text, 'completed');
          emit(out, { type: 'response.output_text.done', item_id: done.id, output_index: item.outputIndex, content_index: 0, text: item.text, logprobs: [] });
          emit(out, { type: 'response.content_part.done', item_id: done.id, output_index: item.outputIndex, content_index: 0, part: done.content[0] });
          emit(out, { type: 'response.output_item.done', output_index: item.outputIndex, item: done });
          output.push(done);
        } else {
          const done = callItem(item, 'completed');
          emit(out, {
            type: 'response.function_call_arguments.done',
            item_id: done.id,
            output_index: item.outputIndex,
            name: item.name,
            arguments: item.arguments,
          });
          emit(out, { type: 'response.output_item.done', output_index: item.outputIndex, item: done });
          output.push(done);
        }
      }
      const response = toResponse(meta, { status: 'completed', result }, output);
      emit(out, { type: response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response });
      return out;
    },
    error(error) {
      const out: unknown[] = [];
      start(out);
      emit(out, { type: 'response.failed', response: toResponse(meta, { status: 'failed', error: { type: error.type, message: error.message } }) });
      return out;
    },
    eventName: (payload) => (payload as { type: string }).type,
  };
}
