import { ROOT_CONTEXT, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Config } from '@gateway/config';

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

/**
 * Tracing as configured: on when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or its traces one), exported
 * over OTLP/HTTP (protobuf or JSON), `service` naming the app unless OTEL_SERVICE_NAME does.
 */
export async function startTracing(config: Pick<Config, 'tracing'>, service: { name: string; instanceId: string }): Promise<Tracing> {
  if (!config.tracing.endpoint && !config.tracing.tracesEndpoint) return noTracing;
  // Loaded only when traces are on: an app without them never evaluates the SDK.
  const { createOtelTracing } = await import('./otel-sdk');
  return createOtelTracing(config.tracing, service);
}
