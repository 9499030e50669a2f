import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '@gateway/config';
import type { ChatMessage, ProviderId, Usage } from '@gateway/contracts';

/** USD per million prompt and completion tokens of one model. */
export const modelPriceSchema = z.strictObject({
  prompt: z.number().nonnegative().finite(),
  completion: z.number().nonnegative().finite(),
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
  // Unknown models on paid providers: priced high rather than free, so budgets still hold.
  '*': { prompt: 3, completion: 15 },
});

/** Local and consultation providers cost nothing. */
export const freeProviders: ReadonlySet<ProviderId> = new Set<ProviderId>(['mock', 'ollama', 'cursor']);

/** The built-in table, overridden model by model by the JSON file at `path` (LLM_PRICING_FILE). Throws ConfigError naming the variable. */
export function loadPricingTable(path: string | undefined): PricingTable {
  if (path === undefined) return builtInPricing;
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
    throw new ConfigError(`invalid configuration: LLM_PRICING_FILE: ${path}: ${issues.join('; ')} (expected {"<model>": {"prompt": <USD per 1M>, "completion": <USD per 1M>}})`);
  }
  return Object.freeze({ ...builtInPricing, ...parsed.data });
}

/** The price of a model: its own row, else the row of its name without the vendor (`openai/gpt-4o` ↔ `gpt-4o`), else `*`, else free. */
export function priceOf(table: PricingTable, model: string): ModelPrice {
  const bare = model.includes('/') ? model.slice(model.lastIndexOf('/') + 1) : undefined;
  const byBareName = Object.entries(table).find(([name]) => name !== '*' && (name === bare || name.endsWith(`/${model}`)))?.[1];
  return table[model] ?? (bare !== undefined ? table[bare] : undefined) ?? byBareName ?? table['*'] ?? { prompt: 0, completion: 0 };
}

/** Tokens × price. */
export function tokenCostUsd(price: ModelPrice, promptTokens: number, completionTokens: number): number {
  return (promptTokens * price.prompt + completionTokens * price.completion) / 1_000_000;
}

/** The cost of a finished call: free providers 0; the provider's own figure when it gave one; else tokens × the table. */
export function callCostUsd(table: PricingTable, call: { provider: ProviderId; model: string; usage: Usage; providerCostUsd?: number | null | undefined }): number {
  if (freeProviders.has(call.provider)) return 0;
  if (call.providerCostUsd !== undefined && call.providerCostUsd !== null && Number.isFinite(call.providerCostUsd) && call.providerCostUsd >= 0) return call.providerCostUsd;
  return tokenCostUsd(priceOf(table, call.model), call.usage.prompt_tokens, call.usage.completion_tokens);
}

/** Prompt tokens guessed from text: about 3 characters a token, plus a few per message for the chat template. */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, message) => sum + Math.ceil(message.content.length / 3) + 4, 0);
}

/**
 * The cost reserved at admission: the dearest provider that may serve the request, for the estimated prompt
 * and `max_tokens` (or the default) completion tokens.
 */
export function estimateCostUsd(table: PricingTable, request: { providers: readonly ProviderId[]; model: string; messages: readonly ChatMessage[]; maxTokens: number }): number {
  const paid = request.providers.some((provider) => !freeProviders.has(provider));
  if (!paid) return 0;
  return tokenCostUsd(priceOf(table, request.model), estimatePromptTokens(request.messages), request.maxTokens);
}
