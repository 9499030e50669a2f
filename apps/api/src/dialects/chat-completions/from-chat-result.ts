import type { ChatJobResult } from '@gateway/contracts';

/** A job's result as OpenAI's `chat.completion` (plus the gateway's `provider` and `cost_usd`). */
export function toChatCompletion(jobId: string, answer: ChatJobResult) {
  // OpenAI's content is null when the model only called tools.
  const content = answer.content === '' && answer.tool_calls ? null : answer.content;
  return {
    id: `chatcmpl-${jobId}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: answer.model,
    provider: answer.provider,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, ...(answer.tool_calls ? { tool_calls: answer.tool_calls } : {}) },
        finish_reason: answer.finish_reason ?? 'stop',
        logprobs: answer.logprobs ?? null,
      },
    ],
    usage: answer.usage,
    cost_usd: answer.cost_usd,
  };
}

/**
 * `JSON.stringify(toChatCompletion(jobId, answer))` written from a template, byte for byte (its spec holds the two
 * together): a batch's output file has one per line, and stringifying the object key by key cost more than all
 * else the API does for a line. `created` in Unix seconds, as toChatCompletion's.
 */
export function chatCompletionJson(jobId: string, answer: ChatJobResult, created = Math.floor(Date.now() / 1000)): string {
  const content = answer.content === '' && answer.tool_calls ? null : answer.content;
  const toolCalls = answer.tool_calls ? `,"tool_calls":${JSON.stringify(answer.tool_calls)}` : '';
  return (
    `{"id":${JSON.stringify(`chatcmpl-${jobId}`)},"object":"chat.completion","created":${created},"model":${JSON.stringify(answer.model)},` +
    `"provider":${JSON.stringify(answer.provider)},"system_fingerprint":null,"choices":[{"index":0,"message":{"role":"assistant",` +
    `"content":${JSON.stringify(content)},"refusal":null${toolCalls}},"finish_reason":${JSON.stringify(answer.finish_reason ?? 'stop')},` +
    `"logprobs":${JSON.stringify(answer.logprobs ?? null)}}],"usage":${JSON.stringify(answer.usage)},"cost_usd":${JSON.stringify(answer.cost_usd)}}`
  );
}
