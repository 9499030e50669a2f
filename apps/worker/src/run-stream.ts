import { GatewayError, type ChatJobResult, type ProviderId, type Usage } from '@gateway/contracts';
import type { Logger, Metrics } from '@gateway/observability';
import { publishReply, type RedisClient } from '@gateway/queue';
import type { ChatStreamPart, ProviderAdapter, ProviderChatRequest, ProviderRegistry } from '@gateway/providers';
import { withFailover, type FailoverHooks, type PlannedAttempt } from '@gateway/resilience';
import { createChunkPublisher } from './chunk-publisher';

/** What a streamed job needs. */
export interface StreamRunDeps {
  registry: ProviderRegistry;
  publisher: RedisClient;
  prefix: string;
  metrics: Metrics;
  log: Logger;
  /** Bounds the model label's values (createBoundedLabel). */
  modelLabel: (model: string) => string;
  /** Prices the streamed answer (the provider's own figure, else tokens × the pricing table); absent: the provider's figure or 0. */
  price?: (call: { provider: ProviderId; model: string; usage: Usage; providerCostUsd: number | null }) => number;
}

/** One streamed job. */
export interface StreamRunInput {
  jobId: string;
  /** The API instance relaying the stream. */
  replyTo: string;
  plan: readonly PlannedAttempt[];
  /** The request without its model (each attempt brings its own). */
  request: Omit<ProviderChatRequest, 'model'>;
  signal: AbortSignal;
  hooks?: FailoverHooks;
}

interface OpenedStream {
  iterator: AsyncIterator<ChatStreamPart>;
  /** Parts read while waiting for the first token (the first token included). */
  head: ChatStreamPart[];
  started: number;
}

/** Opens a provider's stream and reads up to its first token: failures until then may fail over, later ones may not. */
async function openStream(adapter: ProviderAdapter, request: ProviderChatRequest, signal: AbortSignal): Promise<OpenedStream> {
  const started = performance.now();
  const iterator = adapter.chatStream(request, signal)[Symbol.asyncIterator]();
  const head: ChatStreamPart[] = [];
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { iterator, head, started };
    head.push(next.value);
    if (next.value.type === 'text-delta' || next.value.type === 'stream-end') return { iterator, head, started };
  }
}

const zeroUsage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

/**
 * Streams a chat job: failover until the first token, then every text delta is published (coalesced, numbered)
 * on the reply channel of the API instance that relays it, then a stream-end carrying the whole result, which is
 * also returned (kept in BullMQ, billed like a non-streamed result). A failure after the first token is thrown
 * once the chunks before it are out, so the API sends them and then the error.
 */
export async function runStream(deps: StreamRunDeps, input: StreamRunInput): Promise<{ result: ChatJobResult; attempts: number }> {
  const outcome = await withFailover(
    input.plan,
    async (attempt) => {
      const started = performance.now();
      try {
        return await openStream(deps.registry.get(attempt.provider), { ...input.request, model: attempt.model }, input.signal);
      } catch (error) {
        deps.metrics.providerRequestDuration.observe({ provider: attempt.provider, outcome: 'failure' }, (performance.now() - started) / 1000);
        deps.metrics.providerRequests.inc({ provider: attempt.provider, model: deps.modelLabel(attempt.model), outcome: error instanceof GatewayError ? error.type : 'failure' });
        throw error;
      }
    },
    input.hooks,
  );
  const provider = outcome.provider;
  const attempt = input.plan.find((planned) => planned.provider === provider);
  const { iterator, head, started } = outcome.value;
  const chunks = createChunkPublisher({
    jobId: input.jobId,
    provider,
    model: attempt?.model ?? '',
    publish: (message) => publishReply(deps.publisher, deps.prefix, input.replyTo, message),
  });

  let content = '';
  let usage = zeroUsage;
  let costUsd: number | null = null;
  let end: Extract<ChatStreamPart, { type: 'stream-end' }> | undefined;
  const take = (part: ChatStreamPart) => {
    if (part.type === 'text-delta') {
      content += part.text;
      chunks.push(part.text);
    } else if (part.type === 'usage') {
      usage = part.usage;
      costUsd = part.costUsd;
    } else end = part;
  };
  try {
    head.forEach(take);
    while (!end) {
      const next = await iterator.next();
      if (next.done) break;
      take(next.value);
    }
    if (!end) throw new GatewayError('upstream_error', `${provider}: stream ended without its end`, { retryable: false });
  } catch (error) {
    deps.metrics.providerRequestDuration.observe({ provider, outcome: 'failure' }, (performance.now() - started) / 1000);
    deps.metrics.providerRequests.inc({ provider, model: deps.modelLabel(attempt?.model ?? ''), outcome: error instanceof GatewayError ? error.type : 'failure' });
    // The chunks before the failure go out first: the client sees them, then the error event.
    await chunks.finish().catch(() => undefined);
    throw error;
  }
  deps.metrics.providerRequestDuration.observe({ provider, outcome: 'success' }, (performance.now() - started) / 1000);
  deps.metrics.providerRequests.inc({ provider, model: deps.modelLabel(attempt?.model ?? ''), outcome: 'success' });
  const sent = await chunks.finish();
  const result: ChatJobResult = {
    content,
    model: end.model,
    provider,
    usage,
    cost_usd: deps.price ? deps.price({ provider, model: attempt?.model ?? end.model, usage, providerCostUsd: costUsd }) : (costUsd ?? 0),
    finish_reason: end.finishReason,
  };
  await publishReply(deps.publisher, deps.prefix, input.replyTo, { kind: 'stream-end', job_id: input.jobId, seq: sent, result });
  deps.log.debug({ provider, chunks: sent }, 'stream finished');
  return { result, attempts: outcome.failures.length + 1 };
}
