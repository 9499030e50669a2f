import { ROOT_CONTEXT, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';

/**
 * Traces of one app: a tracer, and the W3C trace context in and out (the `traceparent` a client sends, the one a
 * job carries to its worker). Off (no OTLP endpoint): `enabled` is false and callers skip every span, so requests
 * pay nothing; the SDK is not even loaded.
 */
export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** The context a `traceparent` (and `tracestate`) names; the root context when absent or malformed. */
  contextOf(traceparent: string | undefined, tracestate?: string): Context;
  /** The `traceparent` of a span, to carry its context on (in a job, in a response header). */
  traceparentOf(span: Span): string;
  /** Sends the spans still buffered and stops. */
  shutdown(): Promise<void>;
}

/** Tracing off. */
export const noTracing: Tracing = {
  enabled: false,
  tracer: trace.getTracer('gateway'),
  contextOf: () => ROOT_CONTEXT,
  traceparentOf: (span) => traceparentOfSpan(span),
  shutdown: async () => undefined,
};

/** A span's W3C `traceparent`: version 00, trace id, span id, flags. */
export function traceparentOfSpan(span: Span): string {
  const context = span.spanContext();
  return `00-${context.traceId}-${context.spanId}-${context.traceFlags.toString(16).padStart(2, '0')}`;
}
