import { createReplayFilter, streamEndedEarly, type ChatJobResult, type ReplyMessage, type Usage } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import { appendStreamMessage, publishReply, type JobStreamLimits, type QueuePrefix, type RedisClient } from '@gateway/queue';
import type { ChatStreamPart, ProviderAdapter, ProviderChatRequest } from '@gateway/providers';
import { deploymentOf, withFailover, type FailoverHooks } from '@gateway/resilience';
import type { CallDeps } from './call-providers';
import type { CallMeter } from './call-meter';
import { createChunkPublisher } from './chunk-publisher';
import type { JobPlan } from './job-plan';
import { observeProviderCall } from './provider-call';
import { LockLostError } from './run-locks';
import { createToolCallAssembler } from './tool-call-assembler';
import { createReasoningAssembler } from './reasoning-assembler';

export interface StreamRunDeps extends CallDeps {
  publisher: RedisClient;
  prefix: QueuePrefix;
  log: Logger;
}

/** One streamed job. */
export interface StreamRunInput {
  jobId: string;
  /** The API instance relaying the stream live (none: an asynchronous job, whose messages are only kept). */
  replyTo?: string | undefined;
  /** A resumable stream: its messages are kept in the job's Redis stream (appendStreamMessage). */
  keep?: JobStreamLimits | undefined;
  /** The messages kept by an earlier attempt of this job (it is run again): sent on from where they end. */
  kept?: readonly ReplyMessage[];
  /**
   * A job whose stream is not kept, run again (BullMQ's attempts started): its messages carry it as `restart`, so
   * the API relays what this run says beyond what its client has, and drops what an earlier run still sends.
   */
  restart?: number | undefined;
  /** This run's lock token: a resumable stream's messages are kept only while the run holds the job's lock. */
  lockToken?: string | undefined;
  plan: JobPlan;
  signal: AbortSignal;
  hooks?: FailoverHooks;
  /** Told of each call and of what it generates, so a stream cut short is billed for it. */
  meter?: CallMeter;
}

interface OpenedStream {
  iterator: AsyncIterator<ChatStreamPart>;
  /** Parts read while waiting for the first token (the first token included). */
  head: ChatStreamPart[];
  started: number;
}

/** The parts that count as the answer's start: after one of them, the stream is not switched to another provider. */
const isFirstToken = (part: ChatStreamPart) =>
  part.type === 'text-delta' || part.type === 'tool-call-delta' || part.type === 'reasoning-delta' || part.type === 'stream-end';

/** Opens a provider's stream and reads up to its first token: failures until then may fail over, later ones may not. */
async function openStream(adapter: ProviderAdapter, request: ProviderChatRequest, signal: AbortSignal): Promise<OpenedStream> {
  const started = performance.now();
  const iterator = adapter.chatStream(request, signal)[Symbol.asyncIterator]();
  const head: ChatStreamPart[] = [];
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { iterator, head, started };
    head.push(next.value);
    if (isFirstToken(next.value)) return { iterator, head, started };
  }
}

const zeroUsage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

/**
 * Streams a chat job: failover until the first token (text or tool call), then every text delta and tool-call
 * fragment is published (coalesced, numbered, in order) on the reply channel of the API instance that relays it,
 * then a stream-end carrying the whole result (text and assembled tool calls), which is also returned (kept in
 * BullMQ, billed like a non-streamed result). A failure after the first token is thrown once the chunks before
 * it are out, so the API sends them and then the error.
 */
export async function runStream(deps: StreamRunDeps, input: StreamRunInput): Promise<{ result: ChatJobResult; attempts: number }> {
  const outcome = await withFailover(
    input.plan.attempts,
    async (attempt) => {
      const call = { provider: attempt.provider, modelLabel: deps.modelLabel(attempt.model), startedAt: performance.now() };
      try {
        input.meter?.begin(attempt.provider, input.plan.servedModel(attempt.provider));
        return await openStream(deps.registry.get(deploymentOf(attempt)), { ...input.plan.request, model: attempt.model }, input.signal);
      } catch (error) {
        observeProviderCall(deps.metrics, call, error);
        throw error;
      }
    },
    input.hooks,
  );
  const provider = outcome.provider;
  const model = input.plan.servedModel(provider);
  const { iterator, head, started } = outcome.value;
  const meter = input.meter;
  meter?.answering();
  const call = { provider, modelLabel: deps.modelLabel(model), startedAt: started };
  const send = streamSender(deps, input);
  const replay = createReplayFilter(input.kept ?? []);
  const chunks = createChunkPublisher({ jobId: input.jobId, provider, model, firstSeq: replay.firstSeq, restart: input.restart, publish: send });
  const toolCalls = createToolCallAssembler(provider);

  let content = '';
  const reasoning = createReasoningAssembler();
  let usage = zeroUsage;
  let costUsd: number | null = null;
  let end: Extract<ChatStreamPart, { type: 'stream-end' }> | undefined;
  const take = (part: ChatStreamPart) => {
    switch (part.type) {
      case 'text-delta':
        content += part.text;
        meter?.generated(part.text.length);
        chunks.push(replay.text(part.text));
        return;
      case 'reasoning-delta':
        meter?.generated((part.delta.text?.length ?? 0) + (part.delta.redacted?.length ?? 0));
        reasoning.accept(part.delta);
        {
          const delta = replay.reasoning(part.delta);
          if (delta) chunks.pushReasoning(delta);
        }
        return;
      case 'tool-call-delta':
        // Relayed as numbered here: the id and index the client sees are the result's.
        meter?.generated((part.delta.name?.length ?? 0) + part.delta.arguments.length);
        {
          const delta = replay.toolCall(toolCalls.accept(part.delta));
          if (delta) chunks.pushToolCall(delta);
        }
        return;
      case 'usage':
        usage = part.usage;
        costUsd = part.costUsd;
        meter?.usage(part.usage, part.costUsd);
        return;
      case 'stream-end':
        end = part;
        return;
    }
  };
  try {
    head.forEach(take);
    while (!end) {
      // A publish that failed ends the call: nothing more of it can reach the stream in order (a run whose lock
      // lapsed is refused, and stops here rather than at its next renewal).
      if (chunks.failure() !== undefined) throw chunks.failure();
      const next = await iterator.next();
      if (next.done) break;
      take(next.value);
    }
    if (!end) throw streamEndedEarly(provider);
  } catch (error) {
    if (!(error instanceof LockLostError)) observeProviderCall(deps.metrics, call, error);
    // The chunks before the failure go out first: the client sees them, then the error event.
    await chunks.finish().catch(() => undefined);
    throw error;
  }
  observeProviderCall(deps.metrics, call);
  const sent = await chunks.finish();
  const calls = toolCalls.toolCalls();
  const reasoningBlocks = reasoning.blocks();
  const result: ChatJobResult = {
    content,
    model: end.model,
    provider,
    usage,
    cost_usd: deps.price({ provider, model, usage, providerCostUsd: costUsd }),
    finish_reason: end.finishReason ?? (calls.length > 0 ? 'tool_calls' : null),
    ...(calls.length > 0 ? { tool_calls: calls } : {}),
    ...(reasoningBlocks.length > 0 ? { reasoning_blocks: reasoningBlocks } : {}),
  };
  if (!replay.ended)
    await send({ kind: 'stream-end', job_id: input.jobId, seq: sent, ...(input.restart !== undefined ? { restart: input.restart } : {}), result });
  deps.log.debug({ provider, chunks: sent }, 'stream finished');
  return { result, attempts: outcome.failures.length + 1 };
}

/**
 * Where a stream's messages go: kept and published (resumable), kept only (asynchronous), or published only. With
 * `lockToken`, a kept message is refused once the run no longer holds the job's lock: the send throws a
 * LockLostError (the run is given up; the run holding the lock goes on with the stream).
 */
export function streamSender(
  deps: Pick<StreamRunDeps, 'publisher' | 'prefix'>,
  input: Pick<StreamRunInput, 'jobId' | 'replyTo' | 'keep' | 'lockToken'>,
): (message: ReplyMessage) => Promise<void> {
  const { keep, replyTo, lockToken } = input;
  if (keep)
    return async (message) => {
      if (!(await appendStreamMessage(deps.publisher, deps.prefix, input.jobId, message, keep, replyTo, lockToken))) throw new LockLostError(input.jobId);
    };
  if (replyTo !== undefined) return (message) => publishReply(deps.publisher, deps.prefix, replyTo, message);
  return async () => undefined;
}
