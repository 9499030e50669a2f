import { contentText, type ChatParams, type FunctionTool, type ToolCall } from '@gateway/contracts';

/** A deterministic value that satisfies a (simple) JSON Schema: enough for tool loops and structured output. */
export function sampleFromSchema(schema: unknown, text: string, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 8) return null;
  const node = schema as {
    type?: unknown;
    enum?: unknown[];
    const?: unknown;
    properties?: Record<string, unknown>;
    required?: unknown;
    items?: unknown;
    minimum?: unknown;
    anyOf?: unknown[];
    oneOf?: unknown[];
  };
  if (node.const !== undefined) return node.const;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0];
  const variants = node.anyOf ?? node.oneOf;
  if (Array.isArray(variants) && variants.length > 0) return sampleFromSchema(variants[0], text, depth + 1);
  const type = Array.isArray(node.type) ? node.type.find((entry) => entry !== 'null') : node.type;
  switch (type) {
    case 'string':
      return text;
    case 'number':
    case 'integer':
      return typeof node.minimum === 'number' ? Math.ceil(node.minimum) : 1;
    case 'boolean':
      return true;
    case 'array':
      return [sampleFromSchema(node.items, text, depth + 1)];
    case 'null':
      return null;
    default: {
      const properties = node.properties ?? {};
      const required = Array.isArray(node.required) ? node.required.filter((name): name is string => typeof name === 'string') : Object.keys(properties);
      return Object.fromEntries(required.map((name) => [name, sampleFromSchema(properties[name], text, depth + 1)]));
    }
  }
}

/** The last user message's text: what the mock's answers and tool arguments are made of. */
export function lastUserText(request: Pick<ChatParams, 'messages'>): string {
  const lastUser = [...request.messages].reverse().find((message) => message.role === 'user');
  return lastUser ? contentText(lastUser.content) : '';
}

/** The tools the mock calls: the one tool_choice names, else the first when parallel calls are off, else all. */
function toolsToCall(request: ChatParams): FunctionTool[] {
  const tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (typeof choice === 'object') return tools.filter((tool) => tool.function.name === choice.function.name);
  return request.parallel_tool_calls === false ? tools.slice(0, 1) : tools;
}

/**
 * The mock's tool calls for a request, or none: it calls tools (see toolsToCall) while the conversation holds
 * fewer than `rounds` assistant turns with tool calls, or whenever tool_choice forces a call. Ids are
 * deterministic: `call_mock_<round>_<index>`.
 */
export function mockToolCalls(request: ChatParams, rounds: number): ToolCall[] {
  if (!request.tools || request.tools.length === 0 || request.tool_choice === 'none') return [];
  const done = request.messages.filter((message) => message.role === 'assistant' && message.tool_calls !== undefined).length;
  const forced = request.tool_choice === 'required' || typeof request.tool_choice === 'object';
  if (!forced && done >= rounds) return [];
  const text = lastUserText(request);
  return toolsToCall(request).map((tool, index) => ({
    id: `call_mock_${done}_${index}`,
    type: 'function',
    function: { name: tool.function.name, arguments: JSON.stringify(sampleFromSchema(tool.function.parameters ?? { type: 'object', properties: {} }, text)) },
  }));
}

/** The text the mock answers with: tool results echoed after a tool turn, JSON under a JSON response format. */
export function mockReplyText(request: ChatParams, fixed: string | undefined): string {
  const format = request.response_format;
  const text = fixed ?? lastUserText(request);
  if (format?.type === 'json_schema') return JSON.stringify(sampleFromSchema(format.json_schema.schema ?? { type: 'object', properties: {} }, text));
  if (format?.type === 'json_object') return JSON.stringify({ reply: text });
  if (fixed !== undefined) return fixed;
  const results: string[] = [];
  for (let index = request.messages.length - 1; index >= 0 && request.messages[index]!.role === 'tool'; index -= 1)
    results.unshift(contentText(request.messages[index]!.content));
  if (results.length > 0) return `Mock reply to tool results: ${results.join('; ')}`;
  return `Mock reply to: ${text}`;
}
