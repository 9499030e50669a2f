import type { ChatParams, ProviderId } from '@gateway/contracts';

/** Says which field of a request a provider cannot honour (a path such as `tools` or `messages.2.content.0`), or undefined. */
type CapabilityCheck = (request: ChatParams) => string | undefined;

const honoursAll: CapabilityCheck = () => undefined;

/** The first request field among `fields` that is set. */
function firstSet(request: ChatParams, fields: readonly (keyof ChatParams)[]): string | undefined {
  return fields.find((field) => request[field] !== undefined);
}

/** The first image part matching `refuse`, as a path. */
function imagePath(request: ChatParams, refuse: (url: string) => boolean): string | undefined {
  for (const [index, message] of request.messages.entries()) {
    if (message.role !== 'user' || typeof message.content === 'string') continue;
    for (const [partIndex, part] of message.content.entries()) {
      if (part.type === 'image_url' && refuse(part.image_url.url)) return `messages.${index}.content.${partIndex}.image_url`;
    }
  }
  return undefined;
}

const anthropicImageTypes = /^data:image\/(jpeg|png|gif|webp);/i;

/**
 * What each provider can do. A provider that cannot honour a field of a request is skipped by failover (no call,
 * nothing counted against its circuit); a request no provider of its plan can honour is a 400 naming the field.
 */
export const capabilityChecks: Readonly<Record<ProviderId, CapabilityCheck>> = {
  // OpenAI's own API and OpenRouter (which maps the fields onto each model it serves) take the fields as they are.
  openrouter: honoursAll,
  openai: (request) =>
    request.reasoning?.max_tokens !== undefined && request.reasoning.effort === undefined && request.reasoning_effort === undefined
      ? 'reasoning.max_tokens'
      : undefined,
  // The mock is deterministic: sampling fields change nothing, tools and response formats are answered.
  mock: honoursAll,
  // Messages API: no log probabilities, seed or penalties, no response_format (JSON modes); images as base64 of
  // four types or by URL.
  anthropic: (request) =>
    firstSet(request, ['logprobs', 'top_logprobs', 'seed', 'presence_penalty', 'frequency_penalty']) ??
    (request.response_format !== undefined && request.response_format.type !== 'text' ? 'response_format' : undefined) ??
    imagePath(request, (url) => url.startsWith('data:') && !anthropicImageTypes.test(url)),
  // Ollama: no log probabilities, no forced tool choice, images only inline (base64): it does not fetch URLs.
  ollama: (request) =>
    firstSet(request, ['logprobs', 'top_logprobs']) ??
    (request.tool_choice === 'required' || typeof request.tool_choice === 'object' ? 'tool_choice' : undefined) ??
    imagePath(request, (url) => !url.startsWith('data:')),
  // A Cursor Agent takes a text conversation and answers text: nothing else of the chat surface.
  cursor: (request) =>
    firstSet(request, [
      'tools',
      'stop',
      'top_p',
      'seed',
      'presence_penalty',
      'frequency_penalty',
      'logprobs',
      'top_logprobs',
      'reasoning_effort',
      'reasoning',
    ]) ??
    (request.tool_choice !== undefined && request.tool_choice !== 'none' ? 'tool_choice' : undefined) ??
    (request.response_format !== undefined && request.response_format.type !== 'text' ? 'response_format' : undefined) ??
    imagePath(request, () => true) ??
    toolTurnPath(request),
};

/** The first message that is a tool result or an assistant's tool calls. */
function toolTurnPath(request: ChatParams): string | undefined {
  const index = request.messages.findIndex((message) => message.role === 'tool' || (message.role === 'assistant' && message.tool_calls !== undefined));
  return index === -1 ? undefined : `messages.${index}`;
}

/** The field of `request` that `provider` cannot honour, or undefined when it can serve the request. */
export function unsupportedField(provider: ProviderId, request: ChatParams): string | undefined {
  return capabilityChecks[provider](request);
}

/** A planned attempt's provider could not honour a field of the request. */
export interface RefusedAttempt<T> {
  attempt: T;
  field: string;
}

/** Splits a failover plan into the attempts whose provider can honour the request and those that cannot (with the field). */
export function servableAttempts<T extends { provider: ProviderId }>(plan: readonly T[], request: ChatParams): { servable: T[]; refused: RefusedAttempt<T>[] } {
  const servable: T[] = [];
  const refused: RefusedAttempt<T>[] = [];
  for (const attempt of plan) {
    const field = unsupportedField(attempt.provider, request);
    if (field === undefined) servable.push(attempt);
    else refused.push({ attempt, field });
  }
  return { servable, refused };
}

/** The message of the 400 for a request no provider of its plan can honour: `<field>: not supported by <providers>`. */
export function unservableMessage(refused: readonly RefusedAttempt<{ provider: ProviderId }>[]): string {
  const field = refused[0]?.field ?? '(body)';
  return `${field}: not supported by ${refused.map((entry) => entry.attempt.provider).join(', ')}`;
}
