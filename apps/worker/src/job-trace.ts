import { SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { isEmbeddingsJob, laneOf, type GatewayJobData, type ChatJobResult, type JobError } from '@gateway/contracts';
import { gatewayAttributes, genAiAttributes, type Tracing } from '@gateway/observability';
import type { FailoverHooks, PlannedAttempt } from '@gateway/resilience';

/** The spans of one job on the worker: its queue wait, its run, a span per provider attempt, its settlement. */
export interface JobTrace {
  readonly traceId: string;
  /** The job's failover hooks, with each attempt's span around them. */
  hooks(inner: FailoverHooks): FailoverHooks;
  /** Runs the settlement (and the reply sent with it) in its span. */
  settle<T>(work: () => Promise<T>, withReply: boolean): Promise<T>;
  /** The job's end: the winning attempt gets the answer's model, tokens, finish reason and cost. */
  end(result: ChatJobResult | undefined, error?: JobError): void;
}

const attributesOf = (data: GatewayJobData, jobId: string) => ({
  [gatewayAttributes.jobId]: jobId,
  [gatewayAttributes.requestId]: data.request_id,
  [gatewayAttributes.lane]: laneOf(data.lane, data.reply_to),
  ...(data.key_id !== undefined ? { [gatewayAttributes.keyId]: data.key_id } : {}),
  ...(data.agent_id !== undefined ? { [gatewayAttributes.agentId]: data.agent_id } : {}),
});

/** An error's type only: its message may quote an upstream's answer. */
function failed(span: Span, type: string): void {
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * Continues the request's trace (the `traceparent` the API put in the job; none: a new trace) on whichever worker
 * runs the job. The queue wait is a span from the API's acceptance to now; the attempts are children of the job's span,
 * with the GenAI conventions' attributes (never prompt or answer text). Attempts run one after another (withFailover),
 * so one open attempt is tracked at a time.
 */
export function startJobTrace(tracing: Tracing, job: { id: string; data: GatewayJobData }, startedAt: number): JobTrace {
  const { tracer } = tracing;
  const { data } = job;
  const parent = tracing.contextOf(data.traceparent);
  const attributes = attributesOf(data, job.id);
  tracer.startSpan('gateway.queue_wait', { startTime: data.accepted_at, attributes }, parent).end(startedAt);
  const jobSpan = tracer.startSpan(`gateway.job ${data.model}`, { kind: SpanKind.CONSUMER, startTime: startedAt, attributes }, parent);
  const inJob: Context = trace.setSpan(parent, jobSpan);
  // GenAI's operation names: embeddings jobs are `embeddings`, every other job `chat`.
  const operation = isEmbeddingsJob(data) ? 'embeddings' : 'chat';
  let attempts = 0;
  let open: Span | undefined;
  let winner: Span | undefined;

  const attemptSpan = (attempt: PlannedAttempt) => {
    attempts += 1;
    return tracer.startSpan(
      `${operation} ${attempt.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [genAiAttributes.operationName]: operation,
          [genAiAttributes.providerName]: attempt.provider,
          [genAiAttributes.requestModel]: attempt.model,
          [gatewayAttributes.attempt]: attempts,
          [gatewayAttributes.lane]: attributes[gatewayAttributes.lane],
          ...(data.key_id !== undefined ? { [gatewayAttributes.keyId]: data.key_id } : {}),
        },
      },
      inJob,
    );
  };

  return {
    traceId: jobSpan.spanContext().traceId,
    hooks: (inner) => ({
      ...inner,
      shouldTry: async (attempt) => {
        const tried = inner.shouldTry ? await inner.shouldTry(attempt) : true;
        const span = attemptSpan(attempt);
        if (!tried) {
          // A provider whose circuit is open: shown, zero length, so the failover reads in the trace.
          span.setAttribute(gatewayAttributes.skipped, true);
          failed(span, 'circuit_open');
          span.end();
        } else open = span;
        return tried;
      },
      onSuccess: async (attempt) => {
        await inner.onSuccess?.(attempt);
        // Streams succeed at their first token: the span goes on until the answer is complete.
        open?.addEvent('gen_ai.first_answer');
        winner = open;
        open = undefined;
      },
      onFailure: async (attempt, error) => {
        await inner.onFailure?.(attempt, error);
        if (open) {
          failed(open, error.type);
          open.end();
          open = undefined;
        }
      },
    }),
    async settle(work, withReply) {
      const span = tracer.startSpan(withReply ? 'gateway.settle_and_reply' : 'gateway.settle', {}, inJob);
      try {
        return await work();
      } catch (error) {
        failed(span, 'unavailable');
        throw error;
      } finally {
        span.end();
      }
    },
    end(result, error) {
      const attempt = winner ?? open;
      if (attempt) {
        if (result) {
          attempt.setAttributes({
            [genAiAttributes.responseModel]: result.model,
            [genAiAttributes.inputTokens]: result.usage.prompt_tokens,
            [genAiAttributes.outputTokens]: result.usage.completion_tokens,
            [genAiAttributes.finishReasons]: [result.finish_reason ?? 'unknown'],
            [gatewayAttributes.costUsd]: result.cost_usd,
          });
        }
        if (error && attempt === open) failed(attempt, error.type);
        attempt.end();
      }
      if (result) jobSpan.setAttribute(gatewayAttributes.costUsd, result.cost_usd);
      if (error) failed(jobSpan, error.type);
      jobSpan.end();
      open = undefined;
      winner = undefined;
    },
  };
}
