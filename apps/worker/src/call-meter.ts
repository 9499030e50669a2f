import { GatewayError, type ChatJobResult, type ProviderId, type Usage } from '@gateway/contracts';

/** Prices a finished call (the provider's own figure, else tokens × the pricing table). */
export type PriceCall = (call: { provider: ProviderId; model: string; usage: Usage; providerCostUsd: number | null }) => number;

/** Characters of generated text per token, for a call cut before the provider said how many it generated. */
const CHARACTERS_PER_TOKEN = 4;

/**
 * What a job's provider call has consumed so far, so that a call that ends without its result (the client went
 * away, the stream broke, the run lost its lock) is billed for what the provider generated, not released. Only
 * the current attempt counts: an attempt that failed over ended with the upstream's error answer, which is free.
 */
export function createCallMeter() {
  let call: { provider: ProviderId; model: string; answering: boolean; characters: number; usage?: Usage; costUsd: number | null } | undefined;
  /** When the answer's first token came (Unix ms): streams only, for the request log's time to first token. */
  let firstTokenAt: number | undefined;
  return {
    /** A request goes to this provider now (failover: the previous attempt answered with an error). */
    begin(provider: ProviderId, model: string): void {
      call = { provider, model, answering: false, characters: 0, costUsd: null };
    },
    /** The answer has started (its first token is out): from now on the call is billed whatever happens. */
    answering(): void {
      if (call) call.answering = true;
      firstTokenAt ??= Date.now();
    },
    generated(characters: number): void {
      if (call) call.characters += characters;
    },
    usage(usage: Usage, costUsd: number | null): void {
      if (call) Object.assign(call, { usage, costUsd });
    },
    state: () => call,
    firstTokenAt: () => firstTokenAt,
  };
}

export type CallMeter = ReturnType<typeof createCallMeter>;

/** How a call ended: aborted by us (cancel, lost lock, shutdown) or with the error it failed with. */
export interface CallEnd {
  aborted: boolean;
  error: unknown;
}

/**
 * What a call that ended without its result consumed, as a result to bill; undefined when the provider cannot
 * have billed it (no call made, or the upstream answered with an error before the first token). Priced as a
 * finished call: the provider's usage where it gave one, else the prompt's estimate and the text generated (at most
 * the reservation); a
 * call cut before its first token (or a non-streamed call cut mid-way) costs the job's reservation, nothing
 * better being known.
 */
export function consumedResult(meter: CallMeter, end: CallEnd, estimatePrompt: () => number, reservedUsd: number, price: PriceCall): ChatJobResult | undefined {
  const call = meter.state();
  if (!call) return undefined;
  const cut = end.aborted || (end.error instanceof GatewayError && end.error.type === 'timeout');
  if (!call.answering && !cut) return undefined;
  const base = { content: '', model: call.model, provider: call.provider, finish_reason: null };
  if (!call.answering) return { ...base, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, cost_usd: reservedUsd };
  const promptTokens = call.usage?.prompt_tokens || estimatePrompt();
  const completionTokens = Math.max(call.usage?.completion_tokens ?? 0, Math.ceil(call.characters / CHARACTERS_PER_TOKEN));
  const usage: Usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const costUsd = price({ provider: call.provider, model: call.model, usage, providerCostUsd: null });
  // Never more than the reservation (the prompt and max_tokens): an estimate of the text cannot pass what the call could.
  return { ...base, usage, cost_usd: reservedUsd > 0 ? Math.min(costUsd, reservedUsd) : costUsd };
}
