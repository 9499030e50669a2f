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
