import type { ChatParams } from '@gateway/contracts';
import type { CapabilityCheck } from './definition';

/** Honours every field of the chat surface. */
export const honoursAll: CapabilityCheck = () => undefined;

/** The first request field among `fields` that is set. */
export function firstSet(request: ChatParams, fields: readonly (keyof ChatParams)[]): string | undefined {
  return fields.find((field) => request[field] !== undefined);
}

/** The first image part matching `refuse`, as a path. */
export function imagePath(request: ChatParams, refuse: (url: string) => boolean): string | undefined {
  for (const [index, message] of request.messages.entries()) {
    if (message.role !== 'user' || typeof message.content === 'string') continue;
    for (const [partIndex, part] of message.content.entries()) {
      if (part.type === 'image_url' && refuse(part.image_url.url)) return `messages.${index}.content.${partIndex}.image_url`;
    }
  }
  return undefined;
}

/** `response_format` when it asks for anything but text (a JSON mode or schema). */
export function jsonResponseFormat(request: ChatParams): string | undefined {
  return request.response_format !== undefined && request.response_format.type !== 'text' ? 'response_format' : undefined;
}

/** The first message that is a tool result or an assistant's tool calls. */
export function toolTurnPath(request: ChatParams): string | undefined {
  const index = request.messages.findIndex((message) => message.role === 'tool' || (message.role === 'assistant' && message.tool_calls !== undefined));
  return index === -1 ? undefined : `messages.${index}`;
}
