import type { ServerResponse } from 'node:http';
import type { RecordedRequest } from './http-server';

/** One tool call a fake answers with; object arguments are sent as their JSON. */
export interface FakeToolCall {
  name: string;
  arguments: Record<string, unknown> | string;
}

/** What the usage of a fake answer reports beyond its word counts. */
export interface FakeUsageDetails {
  /** OpenRouter's `usage.cost` (default 0.00001); null: the answer carries no cost (the gateway then prices the tokens). */
  cost?: number | null;
  cachedTokens?: number;
  /** OpenRouter's `prompt_tokens_details.cache_write_tokens`. */
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

type Json = Record<string, unknown>;

function words(text: string): number {
  return text.trim() === '' ? 0 : text.trim().split(/\s+/).length;
}

function messageText(message: Json): string {
  const content = message['content'];
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Json[]).map((part) => (typeof part['text'] === 'string' ? part['text'] : '')).join(' ');
}

/** OpenAI's usage object for an answer: words as tokens, and the details asked for. */
export function openAiUsage(request: RecordedRequest, completionText: string, details: FakeUsageDetails) {
  const messages = ((request.body as { messages?: Json[] } | undefined)?.messages ?? []) as Json[];
  const prompt = messages.reduce((sum, message) => sum + words(messageText(message)), 0);
  const completion = words(completionText) + (details.reasoningTokens ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(details.cost === null ? {} : { cost: details.cost ?? 0.00001 }),
    ...(details.cachedTokens !== undefined || details.cacheWriteTokens !== undefined
      ? {
          prompt_tokens_details: {
            cached_tokens: details.cachedTokens ?? 0,
            ...(details.cacheWriteTokens !== undefined ? { cache_write_tokens: details.cacheWriteTokens } : {}),
          },
        }
      : {}),
    ...(details.reasoningTokens !== undefined ? { completion_tokens_details: { reasoning_tokens: details.reasoningTokens } } : {}),
  };
}

/** OpenAI's `logprobs` of a choice, one entry per piece of the answer, when the request asked for them. */
export function openAiLogprobs(request: RecordedRequest, content: string) {
  const body = request.body as { logprobs?: boolean; top_logprobs?: number };
  if (body.logprobs !== true) return null;
  const top = body.top_logprobs ?? 0;
  return {
    content: (content.match(/\S+\s*/g) ?? []).map((token, index) => ({
      token,
      logprob: -0.01 * (index + 1),
      bytes: [...Buffer.from(token)],
      top_logprobs: Array.from({ length: top }, (_, rank) => ({ token: rank === 0 ? token : `alt${rank}`, logprob: -0.01 * (index + 1) - rank, bytes: null })),
    })),
    refusal: null,
  };
}

/** The wire form of fake tool calls: ids, type and string arguments. */
export function wireToolCalls(calls: readonly FakeToolCall[], idPrefix = 'call_fake_') {
  return calls.map((call, index) => ({
    id: `${idPrefix}${index}`,
    type: 'function' as const,
    function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
  }));
}

/**
 * A streamed tool-call answer in OpenAI's chunk shape: per call a first fragment with index, id, type and name, then
 * its arguments in three pieces; `interleave` sends the calls' pieces in turn (as some upstreams do) instead of one
 * call after the other.
 */
export function toolCallChunks(calls: readonly FakeToolCall[], interleave = false): Json[][] {
  const wire = wireToolCalls(calls);
  const perCall = wire.map((call, index) => {
    const json = call.function.arguments;
    const third = Math.ceil(json.length / 3);
    return [
      { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
      ...[json.slice(0, third), json.slice(third, 2 * third), json.slice(2 * third)].map((piece) => ({ index, function: { arguments: piece } })),
    ];
  });
  if (!interleave) return perCall.flat().map((delta) => [delta]);
  const rounds: Json[][] = [];
  for (let step = 0; step < 4; step += 1) rounds.push(perCall.map((pieces) => pieces[step]!));
  return rounds;
}

/** Writes one SSE data event. */
export function writeData(res: ServerResponse, payload: unknown): void {
  res.write(`data: ${JSON.stringify(payload)}\n\n`);
}
