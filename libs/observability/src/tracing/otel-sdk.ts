import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, trace, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Config } from '@gateway/config';
import { otlpTracesUrl, parseOtlpHeaders } from './otlp-headers';
import { traceparentOfSpan, type Tracing } from './tracing-shape';

/** OTEL_TRACES_SAMPLER (with its argument) as a sampler. */
function samplerOf(settings: Config['tracing']): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.samplerArg);
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** The OpenTelemetry SDK, set up from the standard variables (read by libs/config), exporting over OTLP/HTTP. */
export function createOtelTracing(settings: Config['tracing'], service: { name: string; instanceId: string }): Tracing {
  const url = otlpTracesUrl(settings.endpoint, settings.tracesEndpoint);
  const headers = { ...parseOtlpHeaders(settings.headers), ...parseOtlpHeaders(settings.tracesHeaders) };
  const protocol = settings.tracesProtocol ?? settings.protocol;
  const exporter = protocol === 'http/json' ? new OtlpJsonExporter({ url, headers }) : new OtlpProtobufExporter({ url, headers });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName ?? service.name, 'service.instance.id': service.instanceId }),
    sampler: samplerOf(settings),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: settings.exportDelayMs })],
  });
  // Not registered globally: spans are parented by the contexts passed to them, so no async-hooks context manager runs.
  const tracer = provider.getTracer('gateway');
  const propagator = new W3CTraceContextPropagator();
  return {
    enabled: true,
    tracer,
    contextOf(traceparent: string | undefined, tracestate?: string): Context {
      if (!traceparent) return ROOT_CONTEXT;
      return propagator.extract(ROOT_CONTEXT, { traceparent, ...(tracestate ? { tracestate } : {}) }, defaultTextMapGetter);
    },
    traceparentOf: (span: Span) => {
      const carrier: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
      return carrier['traceparent'] ?? traceparentOfSpan(span);
    },
    shutdown: () => provider.shutdown(),
  };
}
