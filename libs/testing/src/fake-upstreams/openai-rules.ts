/** A 400 of OpenAI's chat completions: its message and the parameter it names. */
export interface OpenAiProblem {
  message: string;
  param: string;
}

/** The request fields OpenAI's and OpenRouter's chat completions know; anything else is a field the gateway leaked. */
const knownFields = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'usage',
  'temperature',
  'max_tokens',
  'max_completion_tokens',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'stop',
  'top_p',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'logprobs',
  'top_logprobs',
  'reasoning',
  'reasoning_effort',
  'user',
]);

const roles = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

type Json = Record<string, unknown>;

function messageProblem(message: Json, index: number, pending: Set<string>, answered: Set<string>): OpenAiProblem | undefined {
  const where = `messages[${index}]`;
  const role = message['role'];
  if (typeof role !== 'string' || !roles.has(role))
    return {
      message: `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.`,
      param: `${where}.role`,
    };
  if (pending.size > 0 && role !== 'tool') {
    return {
      message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending].join(', ')}`,
      param: 'messages',
    };
  }
  const content = message['content'];
  if (role === 'tool') {
    const id = message['tool_call_id'];
    if (typeof id !== 'string' || !(pending.has(id) || answered.has(id)))
      return { message: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", param: `${where}.role` };
    pending.delete(id);
    answered.add(id);
  }
  if (role === 'assistant' && Array.isArray(message['tool_calls'])) {
    answered.clear();
    for (const [callIndex, call] of (message['tool_calls'] as Json[]).entries()) {
      const fn = call['function'] as Json | undefined;
      if (typeof call['id'] !== 'string' || call['type'] !== 'function' || typeof fn?.['name'] !== 'string' || typeof fn['arguments'] !== 'string') {
        return {
          message: 'A tool call needs an id, type "function" and a function with a name and string arguments.',
          param: `${where}.tool_calls[${callIndex}]`,
        };
      }
      pending.add(call['id']);
    }
  } else if (content === null || content === undefined) {
    return { message: `Invalid value for 'content': expected a string, got null.`, param: `${where}.content` };
  }
  if (Array.isArray(content)) {
    for (const [partIndex, part] of (content as Json[]).entries()) {
      const type = part['type'];
      if (type === 'image_url') {
        const url = (part['image_url'] as Json | undefined)?.['url'];
        if (role !== 'user')
          return {
            message: `Image URLs are only allowed for messages with role 'user', but this message with role '${role}' contains an image URL.`,
            param: `${where}.content[${partIndex}]`,
          };
        if (typeof url !== 'string' || !/^(https?:\/\/|data:image\/(png|jpeg|gif|webp);base64,)/.test(url))
          return { message: "Invalid 'image_url': expected a URL or a base64 data URL.", param: `${where}.content[${partIndex}].image_url.url` };
      } else if (type !== 'text' || typeof part['text'] !== 'string') {
        return { message: `Invalid value: '${String(type)}'. Supported values are: 'text' and 'image_url'.`, param: `${where}.content[${partIndex}].type` };
      }
    }
  }
  return undefined;
}

function toolsProblem(body: Json): OpenAiProblem | undefined {
  const tools = body['tools'];
  const hasTools = Array.isArray(tools) && tools.length > 0;
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return { message: "Invalid type for 'tools': expected an array.", param: 'tools' };
    for (const [index, tool] of (tools as Json[]).entries()) {
      const fn = tool['function'] as Json | undefined;
      if (tool['type'] !== 'function' || typeof fn?.['name'] !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(fn['name']))
        return { message: "Invalid 'tools[].function.name': a string of letters, digits, '_' or '-' is required.", param: `tools[${index}].function.name` };
      const parameters = fn['parameters'];
      if (parameters !== undefined && (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)))
        return { message: 'Invalid schema for function: parameters must be an object.', param: `tools[${index}].function.parameters` };
    }
  }
  if (body['tool_choice'] !== undefined && !hasTools)
    return { message: "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", param: 'tool_choice' };
  if (body['parallel_tool_calls'] !== undefined && !hasTools)
    return {
      message: "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.",
      param: 'parallel_tool_calls',
    };
  const choice = body['tool_choice'] as Json | string | undefined;
  if (typeof choice === 'object' && choice !== null) {
    const name = (choice['function'] as Json | undefined)?.['name'];
    if (!(tools as Json[]).some((tool) => (tool['function'] as Json)['name'] === name))
      return { message: `Invalid value for 'tool_choice': no function named '${String(name)}' was specified in the 'tools' parameter.`, param: 'tool_choice' };
  }
  return undefined;
}

/**
 * The checks of the real chat completions endpoint that a gateway's mapping can fail, with its 400 messages: no
 * fields it does not know, known roles, every assistant tool call answered by a tool message before the next turn
 * and no tool message without a call, tool and tool_choice shapes, images only in user turns.
 */
export function openAiRequestProblem(body: Json): OpenAiProblem | undefined {
  const unknown = Object.keys(body).find((key) => !knownFields.has(key));
  if (unknown !== undefined) return { message: `Unrecognized request argument supplied: ${unknown}`, param: unknown };
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0)
    return { message: "Invalid 'messages': empty array. Expected an array with minimum length 1.", param: 'messages' };
  const pending = new Set<string>();
  const answered = new Set<string>();
  for (const [index, message] of (messages as Json[]).entries()) {
    const problem = messageProblem(message, index, pending, answered);
    if (problem) return problem;
  }
  if (pending.size > 0) return messageProblem({ role: 'user', content: '' }, messages.length, pending, answered);
  const format = body['response_format'] as Json | undefined;
  if (format !== undefined && format['type'] === 'json_schema' && typeof (format['json_schema'] as Json | undefined)?.['name'] !== 'string')
    return { message: "Missing required parameter: 'response_format.json_schema.name'.", param: 'response_format.json_schema.name' };
  return toolsProblem(body);
}
