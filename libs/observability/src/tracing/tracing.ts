import type { Config } from '@gateway/config';
import { noTracing, type Tracing } from './tracing-shape';

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
