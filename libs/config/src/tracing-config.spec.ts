import { ConfigError, loadConfig } from './config';

const base = { LLM_PROVIDER: 'mock' };

describe('traces and the request log in the configuration', () => {
  it('leaves traces off without an OTLP endpoint and keeps a bounded request log without bodies', () => {
    const config = loadConfig(base);
    expect(config.tracing).toMatchObject({ endpoint: undefined, tracesEndpoint: undefined, protocol: 'http/protobuf', sampler: 'parentbased_always_on' });
    expect(config.requestLog).toEqual({ maxEntries: 100_000, maxAgeSeconds: 604_800, bodies: false });
  });

  it('reads the standard OTEL variables', () => {
    const config = loadConfig({
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'edge-gateway',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20x',
    });
    expect(config.tracing).toMatchObject({
      endpoint: 'http://collector:4318',
      tracesProtocol: 'http/json',
      serviceName: 'edge-gateway',
      sampler: 'parentbased_traceidratio',
      samplerArg: 0.25,
      headers: 'authorization=Bearer%20x',
    });
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url'],
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_TRACES_SAMPLER_ARG', '2'],
    ['REQUEST_LOG_MAX_ENTRIES', '-1'],
    ['REQUEST_LOG_BODIES', 'maybe'],
  ])('refuses %s=%s, naming it', (variable, value) => {
    expect(() => loadConfig({ ...base, [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [variable]: value })).toThrow(variable);
  });
});
