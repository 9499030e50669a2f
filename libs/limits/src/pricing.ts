import { readFileSync } from 'node:fs';
import { definitionOf } from '@gateway/providers';
import { z } from 'zod';
import { ConfigError } from '@gateway/config';
import { contentText, imageParts, type ChatMessage, type FunctionTool, type ProviderId, type ResponseFormat, type Usage } from '@gateway/contracts';

const usdPerMillion = z.number().nonnegative().finite();

/**
 * USD per million tokens of one model: prompt and completion, and where the provider prices them apart, cached
 * prompt tokens (cache reads) and reasoning tokens. Absent: those tokens cost what prompt (completion) tokens cost.
 */
export const modelPriceSchema = z.strictObject({
  prompt: usdPerMillion,
  completion: usdPerMillion,
  cached: usdPerMillion.optional(),
  /** Prompt tokens written to the provider's cache (cache creation). */
  cache_write: usdPerMillion.optional(),
  reasoning: usdPerMillion.optional(),
});
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** Model id → price; the key `*` prices models the table does not name. */
export const pricingTableSchema = z.record(z.string().min(1), modelPriceSchema);
export type PricingTable = Readonly<Record<string, ModelPrice>>;

/** List prices of the default models (USD per million tokens); override or extend with LLM_PRICING_FILE. */
export const builtInPricing: PricingTable = Object.freeze({
  'thudm/glm-4-9b-chat': { prompt: 0.035, completion: 0.138 },
  'thudm/glm-4-32b': { prompt: 0.24, completion: 0.24 },
  'z-ai/glm-4.5': { prompt: 0.6, completion: 2.2 },
  'anthropic/claude-3.5-sonnet': { prompt: 3, completion: 15 },
  'anthropic/claude-3.5-haiku': { prompt: 0.8, completion: 4 },
  'openai/gpt-4o': { prompt: 2.5, completion: 10 },
  'openai/gpt-4o-mini': { prompt: 0.15, completion: 0.6 },
  'meta-llama/llama-3.1-8b-instruct': { prompt: 0.02, completion: 0.03 },
  'qwen/qwen-2.5-coder-32b-instruct': { prompt: 0.06, completion: 0.15 },
  // Embedding models (input tokens only), for a provider whose catalogue entry does not list them (OpenRouter's).
  'openai/text-embedding-3-small': { prompt: 0.02, completion: 0 },
  'openai/text-embedding-3-large': { prompt: 0.13, completion: 0 },
  'openai/text-embedding-ada-002': { prompt: 0.1, completion: 0 },
  // Unknown models on paid providers: priced high rather than free, so budgets still hold.
  '*': { prompt: 3, completion: 15 },
});

/** A provider that costs nothing (local models, the mock, a subscription agent): its definition says so. */
export function isFreeProvider(provider: ProviderId): boolean {
  return definitionOf(provider).prices.kind === 'free';
}

/** Where prices come from: the price of a model as one provider serves it. */
export interface PriceSource {
  priceOf(provider: ProviderId, model: string): ModelPrice;
}

/** A price source of one table (bare names and `*` as in `priceOf`), whatever the provider. */
export function pricesFromTable(table: PricingTable): PriceSource {
  return { priceOf: (_provider, model) => priceOf(table, model) };
}

/** The built-in table, overridden model by model by the JSON file at `path` (LLM_PRICING_FILE). Throws ConfigError naming the variable. */
export function loadPricingTable(path: string | undefined): PricingTable {
  if (path === undefined) return builtInPricing;
  return Object.freeze({ ...builtInPricing, ...loadPricingFile(path) });
}

/** The table of the JSON file at `path` (LLM_PRICING_FILE) alone. Throws ConfigError naming the variable. */
export function loadPricingFile(path: string): PricingTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`invalid configuration: LLM_PRICING_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`invalid configuration: LLM_PRICING_FILE: ${path} is not valid JSON`);
  }
  const parsed = pricingTableSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new ConfigError(
      `invalid configuration: LLM_PRICING_FILE: ${path}: ${issues.join('; ')} (expected {"<model>": {"prompt": <USD per 1M>, "completion": <USD per 1M>, "cached"?: …, "cache_write"?: …, "reasoning"?: …}})`,
    );
  }
  return Object.freeze({ ...parsed.data });
}

/** A model's row in one table: its own, else the row of its name without the vendor (`openai/gpt-4o` ↔ `gpt-4o`); never `*`. */
export function findPrice(table: PricingTable, model: string): ModelPrice | undefined {
  if (model === '*') return undefined;
  const bare = model.includes('/') ? model.slice(model.lastIndexOf('/') + 1) : undefined;
  return (
    table[model] ??
    (bare !== undefined ? table[bare] : undefined) ??
    Object.entries(table).find(([name]) => name !== '*' && (name === bare || name.endsWith(`/${model}`)))?.[1]
  );
}

/** The price of a model: its own row, else the row of its name without the vendor (`openai/gpt-4o` ↔ `gpt-4o`), else `*`, else free. */
export function priceOf(table: PricingTable, model: string): ModelPrice {
  return findPrice(table, model) ?? table['*'] ?? { prompt: 0, completion: 0 };
}

/** Tokens × price (no cached or reasoning tokens). */
export function tokenCostUsd(price: ModelPrice, promptTokens: number, completionTokens: number): number {
  return (promptTokens * price.prompt + completionTokens * price.completion) / 1_000_000;
}

/**
 * A call's usage × price: prompt tokens read from the cache and written to it (both part of prompt_tokens) at the
 * cache-read and cache-write prices, reasoning tokens (part of completion_tokens) at the reasoning price, where the
 * model has them; the rest at the plain prices.
 */
export function usageCostUsd(price: ModelPrice, usage: Usage): number {
  const cached = Math.min(usage.prompt_tokens, usage.prompt_tokens_details?.cached_tokens ?? 0);
  const written = Math.min(usage.prompt_tokens - cached, usage.prompt_tokens_details?.cache_write_tokens ?? 0);
  const reasoning = Math.min(usage.completion_tokens, usage.completion_tokens_details?.reasoning_tokens ?? 0);
  const prompt =
    (usage.prompt_tokens - cached - written) * price.prompt + cached * (price.cached ?? price.prompt) + written * (price.cache_write ?? price.prompt);
  const completion = (usage.completion_tokens - reasoning) * price.completion + reasoning * (price.reasoning ?? price.completion);
  return (prompt + completion) / 1_000_000;
}

/** The cost of a finished call: free providers 0; the provider's own figure when it gave one; else its usage × the price. */
export function callCostUsd(
  prices: PriceSource,
  call: { provider: ProviderId; model: string; usage: Usage; providerCostUsd?: number | null | undefined },
): number {
  if (isFreeProvider(call.provider)) return 0;
  if (call.providerCostUsd !== undefined && call.providerCostUsd !== null && Number.isFinite(call.providerCostUsd) && call.providerCostUsd >= 0)
    return call.providerCostUsd;
  return usageCostUsd(prices.priceOf(call.provider, call.model), call.usage);
}

/** Tokens an image costs in a prompt: OpenAI's figure for a high-detail 1024×1024 tile set, 85 at low detail. */
export const IMAGE_TOKENS = 1_105;
export const LOW_DETAIL_IMAGE_TOKENS = 85;

export interface PromptShape {
  messages: readonly ChatMessage[];
  tools?: readonly FunctionTool[] | undefined;
  response_format?: ResponseFormat | undefined;
}

/**
 * Prompt tokens guessed from the request: about 3 characters a token of text, tool calls and tool definitions
 * (providers put the definitions in the prompt), a few per message for the chat template, and a fixed count per
 * image (by its detail).
 */
export function estimatePromptTokens(prompt: PromptShape | readonly ChatMessage[]): number {
  const shape: PromptShape = Array.isArray(prompt) ? { messages: prompt as readonly ChatMessage[] } : (prompt as PromptShape);
  let characters = 0;
  let tokens = 0;
  for (const message of shape.messages) {
    characters += contentText(message.content).length;
    tokens += 4;
    if (message.role === 'assistant')
      for (const call of message.tool_calls ?? []) characters += call.function.name.length + call.function.arguments.length + 10;
    for (const image of imageParts(message.content)) tokens += image.image_url.detail === 'low' ? LOW_DETAIL_IMAGE_TOKENS : IMAGE_TOKENS;
  }
  if (shape.tools && shape.tools.length > 0) characters += JSON.stringify(shape.tools).length;
  if (shape.response_format?.type === 'json_schema') characters += JSON.stringify(shape.response_format.json_schema).length;
  return tokens + Math.ceil(characters / 3);
}

/**
 * The cost reserved at admission: the dearest provider that may serve the request, for the estimated prompt
 * and `max_tokens` (or the default) completion tokens.
 */
export function estimateCostUsd(prices: PriceSource, request: { providers: readonly ProviderId[]; model: string; maxTokens: number } & PromptShape): number {
  const paid = request.providers.filter((provider) => !isFreeProvider(provider));
  if (paid.length === 0) return 0;
  const promptTokens = estimatePromptTokens(request);
  // No prompt is assumed cached: the estimate is what the call may cost at most.
  return Math.max(...paid.map((provider) => tokenCostUsd(prices.priceOf(provider, request.model), promptTokens, request.maxTokens)));
}
