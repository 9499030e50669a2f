import { createParser } from 'eventsource-parser';
import { Agent, request } from 'undici';

/** What one streamed call delivered, timed from the moment the request was sent. */
export interface StreamOutcome {
  ttftMs: number;
  totalMs: number;
  text: string;
  events: number;
  ok: boolean;
}

/**
 * POSTs and reads an SSE answer, collecting the text of every content event. `extract` pulls the text out of one
 * `data:` payload (gateway events and OpenAI chunks differ); it returns undefined for non-content events.
 */
export async function readStream(url: string, body: unknown, extract: (data: string) => string | undefined, dispatcher?: Agent): Promise<StreamOutcome> {
  const started = performance.now();
  let ttftMs = NaN;
  let text = '';
  let events = 0;
  let ok = false;
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(dispatcher ? { dispatcher } : {}),
  });
  if (response.statusCode !== 200) {
    await response.body.arrayBuffer();
    return { ttftMs, totalMs: performance.now() - started, text, events, ok };
  }
  const parser = createParser({
    onEvent: ({ data }) => {
      // A Responses stream ends in response.completed, whose Response carries `"error":null`; a Messages one in message_stop.
      const completed = data.includes('"type":"response.completed"') || data === '{"type":"message_stop"}';
      if (data === '[DONE]' || data.includes('"done":true') || completed) ok = true;
      if (!completed && data.includes('"error"')) ok = false;
      const piece = extract(data);
      if (piece !== undefined && piece.length > 0) {
        if (Number.isNaN(ttftMs)) ttftMs = performance.now() - started;
        text += piece;
        events += 1;
      }
    },
  });
  for await (const chunk of response.body) parser.feed((chunk as Buffer).toString('utf8'));
  return { ttftMs, totalMs: performance.now() - started, text, events, ok };
}

/** Content of a gateway stream event `{"content": ...}`. */
export function gatewayContent(data: string): string | undefined {
  try {
    const parsed = JSON.parse(data) as { content?: unknown };
    return typeof parsed.content === 'string' ? parsed.content : undefined;
  } catch {
    return undefined;
  }
}

/** Content of an OpenAI chat.completion.chunk. */
export function openAiContent(data: string): string | undefined {
  try {
    const parsed = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[] };
    const content = parsed.choices?.[0]?.delta?.content;
    return typeof content === 'string' ? content : undefined;
  } catch {
    return undefined;
  }
}

/** Text of a Messages stream event: the `text` of a content_block_delta's text_delta. */
export function messagesContent(data: string): string | undefined {
  try {
    const parsed = JSON.parse(data) as { type?: unknown; delta?: { type?: unknown; text?: unknown } };
    return parsed.type === 'content_block_delta' && parsed.delta?.type === 'text_delta' && typeof parsed.delta.text === 'string'
      ? parsed.delta.text
      : undefined;
  } catch {
    return undefined;
  }
}

/** Text of a Responses stream event: the `delta` of `response.output_text.delta`. */
export function responsesContent(data: string): string | undefined {
  try {
    const parsed = JSON.parse(data) as { type?: unknown; delta?: unknown };
    return parsed.type === 'response.output_text.delta' && typeof parsed.delta === 'string' ? parsed.delta : undefined;
  } catch {
    return undefined;
  }
}
