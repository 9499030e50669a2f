import type { Usage } from '@gateway/contracts';
import type { ProviderChatRequest } from '../types';
import type { OllamaChat, OllamaRequest } from './ollama-wire';

export function toOllamaRequest(request: ProviderChatRequest, stream: boolean): OllamaRequest {
  const options = {
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.maxTokens !== undefined ? { num_predict: request.maxTokens } : {}),
  };
  return {
    model: request.model,
    messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
    stream,
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
}

/** Ollama counts prompt tokens in `prompt_eval_count` (absent when the prompt was cached) and output in `eval_count`. */
export function fromOllamaUsage(answer: Pick<OllamaChat, 'prompt_eval_count' | 'eval_count'>): Usage {
  const prompt = Math.max(0, Math.round(answer.prompt_eval_count ?? 0));
  const completion = Math.max(0, Math.round(answer.eval_count ?? 0));
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Ollama says `stop`, `length` or `load`; we pass the first two on and keep others as they are. */
export function mapOllamaFinishReason(reason: string | null | undefined): string | null {
  return reason ?? null;
}
