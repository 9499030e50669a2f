import { toOpenAiErrorBody, type ProviderId } from '@gateway/contracts';
import { toWireToolCallDeltas, type StreamFormat } from '../../stream-formats';

export interface OpenAiStreamOptions {
  jobId: string;
  /** `stream_options.include_usage`: a last chunk with `usage` (and no choices), `usage: null` on the others. */
  includeUsage: boolean;
}

/**
 * `POST /v1/chat/completions` with `stream: true`: `chat.completion.chunk` objects (the first delta carries the
 * role), a last one with `finish_reason`, the usage chunk when asked, then `data: [DONE]`. A failure after the
 * stream began is OpenAI's error body as a data event (the SDKs raise it), without `[DONE]`.
 */
export function openAiStreamFormat(options: OpenAiStreamOptions): StreamFormat {
  const id = `chatcmpl-${options.jobId}`;
  const created = Math.floor(Date.now() / 1000);
  let roleSent = false;
  const chunkOf = (model: string, provider: ProviderId, choices: unknown[]) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    provider,
    system_fingerprint: null,
    choices,
    ...(options.includeUsage ? { usage: null } : {}),
  });
  const delta = (fields: Record<string, unknown>) => {
    const role = roleSent ? {} : { role: 'assistant' };
    roleSent = true;
    return { ...role, ...fields };
  };
  const choice = (fields: Record<string, unknown>) => [{ index: 0, delta: delta(fields), logprobs: null, finish_reason: null }];
  return {
    chunk: (text, model, provider) => [chunkOf(model, provider, choice({ content: text }))],
    toolCalls: (deltas, model, provider) => [chunkOf(model, provider, choice({ tool_calls: toWireToolCallDeltas(deltas) }))],
    done(result) {
      const events: unknown[] = [];
      if (!roleSent) events.push(chunkOf(result.model, result.provider, choice({ content: '' })));
      events.push(chunkOf(result.model, result.provider, [{ index: 0, delta: {}, logprobs: null, finish_reason: result.finish_reason ?? 'stop' }]));
      if (options.includeUsage) events.push({ ...chunkOf(result.model, result.provider, []), usage: result.usage, cost_usd: result.cost_usd });
      return events;
    },
    error: (error) => [toOpenAiErrorBody(error.type, error.message)],
    terminator: '[DONE]',
  };
}
