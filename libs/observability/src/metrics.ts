import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Every metric of the gateway, on one registry per process. */
export function createMetrics(options: { app: string; defaultMetrics?: boolean }) {
  const registry = new Registry();
  registry.setDefaultLabels({ app: options.app });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'gateway_process_' });

  return {
    registry,
    httpRequests: new Counter({
      name: 'gateway_http_requests_total',
      help: 'HTTP requests answered, by route, method and status code.',
      labelNames: ['route', 'method', 'status_code'] as const,
      registers: [registry],
    }),
    httpRequestDuration: new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'Time from request to response, by route.',
      labelNames: ['route'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    jobs: new Counter({
      name: 'gateway_jobs_total',
      help: 'Jobs finished by the worker, by queue and outcome.',
      labelNames: ['queue', 'outcome'] as const,
      registers: [registry],
    }),
    queueJobs: new Gauge({
      name: 'gateway_queue_jobs',
      help: 'Jobs in the queue, by state.',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
    }),
    providerRequestDuration: new Histogram({
      name: 'gateway_provider_request_duration_seconds',
      help: 'Provider call duration, by provider and outcome.',
      labelNames: ['provider', 'outcome'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    providerTokens: new Counter({
      name: 'gateway_provider_tokens_total',
      help: 'Tokens reported by providers, by provider and kind (prompt, completion).',
      labelNames: ['provider', 'kind'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
