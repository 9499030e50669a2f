import { invalidRequest, type ChatJobResult, type ChatMessage, type ContentPart } from '@gateway/contracts';
import type { ResponsesContentPart, ResponsesInputItem, ResponsesRequest } from './responses-wire';

/** A message as the internal request takes it before its parse (assistant content may be null). */
type DraftMessage = ChatMessage;

function partsText(parts: readonly ResponsesContentPart[], field: string): string {
  let joined = '';
  for (const [index, part] of parts.entries()) {
    if (part.type === 'input_image') throw invalidRequest(`${field}.${index}: images are taken in user messages only`);
    joined += part.type === 'refusal' ? part.refusal : part.text;
  }
  return joined;
}

function userContent(content: string | readonly ResponsesContentPart[], field: string): string | ContentPart[] {
  if (typeof content === 'string') return content;
  return content.map((part, index): ContentPart => {
    if (part.type === 'input_image') {
      if (!part.image_url) throw invalidRequest(`${field}.${index}.image_url: required (file_id is not served by this gateway)`);
      return { type: 'image_url', image_url: { url: part.image_url, ...(part.detail ? { detail: part.detail } : {}) } };
    }
    return { type: 'text', text: part.type === 'refusal' ? part.refusal : part.text };
  });
}

/**
 * The chat messages of a Responses input: a string is one user message; `function_call` items join the assistant
 * message before them (or make one), `function_call_output` items are tool messages, reasoning items are dropped.
 */
export function toChatMessages(input: string | readonly ResponsesInputItem[], conversation: readonly ChatMessage[] = []): DraftMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const messages: DraftMessage[] = [];
  // Calls an output may answer: those of the conversation before it (previous_response_id), then of the input.
  const called = new Set(conversation.flatMap((message) => (message.role === 'assistant' ? (message.tool_calls ?? []).map((call) => call.id) : [])));
  input.forEach((item, index) => {
    const field = `input.${index}`;
    switch (item.type) {
      case 'message':
        if (item.role === 'user') messages.push({ role: 'user', content: userContent(item.content, `${field}.content`) });
        else {
          const content = typeof item.content === 'string' ? item.content : partsText(item.content, `${field}.content`);
          messages.push(item.role === 'assistant' ? { role: 'assistant', content } : { role: 'system', content });
        }
        return;
      case 'function_call': {
        const call = { id: item.call_id, type: 'function' as const, function: { name: item.name, arguments: item.arguments } };
        called.add(item.call_id);
        const last = messages.at(-1);
        if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        return;
      }
      case 'function_call_output':
        if (!called.has(item.call_id)) {
          throw invalidRequest(`${field}.call_id: answers no function_call before it (no call_id ${item.call_id.slice(0, 64)})`);
        }
        messages.push({
          role: 'tool',
          tool_call_id: item.call_id,
          content: typeof item.output === 'string' ? item.output : partsText(item.output, `${field}.output`),
        });
        return;
      default:
        return;
    }
  });
  return messages;
}

/** The assistant message a finished response adds to its conversation (for previous_response_id). */
export function answerMessage(result: ChatJobResult): ChatMessage {
  return {
    role: 'assistant',
    content: result.content === '' && result.tool_calls ? null : result.content,
    ...(result.tool_calls ? { tool_calls: result.tool_calls } : {}),
  };
}

/**
 * The internal chat request of a Responses request: `instructions` as the first (system) message, then the
 * conversation it continues (`previous_response_id`'s input and output, without that response's instructions), then
 * its own input; function tools in the chat shape; `text.format` as response_format; `max_output_tokens` as
 * max_tokens; `reasoning.effort` as reasoning_effort. Parsed by the chat request's schema afterwards. `input`: its
 * input's messages when the caller has them already (toChatMessages).
 */
export function toChatRequest(
  request: ResponsesRequest,
  conversation: readonly ChatMessage[],
  agentId: string | undefined,
  input: readonly ChatMessage[] = toChatMessages(request.input ?? [], conversation),
): Record<string, unknown> {
  const format = request.text?.format;
  const messages = [
    ...(request.instructions !== undefined && request.instructions !== '' ? [{ role: 'system', content: request.instructions }] : []),
    ...conversation,
    ...input,
  ];
  // Reasoning items alone (or nothing) leave nothing to answer.
  if (messages.length === 0) throw invalidRequest('input: holds no message, function call output or instructions to answer');
  return {
    ...(agentId !== undefined ? { agent_id: agentId } : {}),
    ...(request.model !== undefined ? { model: request.model } : {}),
    messages,
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.top_p !== undefined ? { top_p: request.top_p } : {}),
    // The end user, passed on as chat completions pass it (and the agent, when no X-Agent-Id says otherwise).
    ...(request.user !== undefined ? { user: request.user } : {}),
    ...(request.max_output_tokens !== undefined ? { max_tokens: request.max_output_tokens } : {}),
    ...(request.tools && request.tools.length > 0
      ? {
          tools: request.tools.map((tool) => ({
            type: 'function',
            function: {
              name: tool.name,
              ...(tool.description ? { description: tool.description } : {}),
              ...(tool.parameters ? { parameters: tool.parameters } : {}),
              ...(tool.strict !== undefined && tool.strict !== null ? { strict: tool.strict } : {}),
            },
          })),
        }
      : {}),
    ...(request.tool_choice !== undefined
      ? { tool_choice: typeof request.tool_choice === 'string' ? request.tool_choice : { type: 'function', function: { name: request.tool_choice.name } } }
      : {}),
    ...(request.parallel_tool_calls !== undefined && request.tools && request.tools.length > 0 ? { parallel_tool_calls: request.parallel_tool_calls } : {}),
    ...(format && format.type !== 'text'
      ? {
          response_format:
            format.type === 'json_object'
              ? { type: 'json_object' }
              : {
                  type: 'json_schema',
                  json_schema: {
                    name: format.name,
                    schema: format.schema,
                    ...(format.description ? { description: format.description } : {}),
                    ...(format.strict !== undefined && format.strict !== null ? { strict: format.strict } : {}),
                  },
                },
        }
      : {}),
    ...(request.reasoning?.effort ? { reasoning_effort: request.reasoning.effort } : {}),
    ...(request.metadata !== undefined ? { metadata: request.metadata } : {}),
  };
}

/** The input items of a request as stored and listed (`GET /v1/responses/{id}/input_items`), each with an id. */
export function storedInputItems(responseId: string, input: string | readonly ResponsesInputItem[] | undefined): Record<string, unknown>[] {
  const items: readonly ResponsesInputItem[] =
    typeof input === 'string' ? [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }] : (input ?? []);
  const suffix = responseId.slice('resp_'.length);
  return items.map((item, index) => {
    const prefix = item.type === 'message' ? 'msg' : item.type === 'function_call' ? 'fc' : item.type === 'function_call_output' ? 'fco' : 'rs';
    const content =
      item.type === 'message' && typeof item.content === 'string'
        ? [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text: item.content }]
        : undefined;
    return {
      ...item,
      ...(content ? { content } : {}),
      id: item.id ?? `${prefix}_${suffix}_in${index}`,
      ...(item.type !== 'reasoning' ? { status: 'completed' } : {}),
    };
  });
}
