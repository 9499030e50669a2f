import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createLaneBacklogGauges } from './lane-backlog-source';
import { createOpsGauges } from './ops-gauges';
import { createQueueDepthSources } from './queue-depth';

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Every metric of the gateway, on one registry per process. */
export function createMetrics(options: { app: string; defaultMetrics?: boolean }) {
  const registry = new Registry();
  registry.setDefaultLabels({ app: options.app });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'gateway_' });
  const queueDepth = createQueueDepthSources();
  const laneBacklog = createLaneBacklogGauges();
  const ops = createOpsGauges();

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
      help: 'Jobs in the queue, by state (read from Redis at scrape time).',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        await queueDepth.refresh(this);
      },
    }),
    providerRequestDuration: new Histogram({
      name: 'gateway_provider_request_duration_seconds',
      help: 'Provider call duration, by provider and outcome (success, failure, cancelled).',
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

    // Operations: provider calls, job timings, and the queues whose depth this process reports.
    deploymentRequests: new Counter({
      name: 'gateway_deployment_requests_total',
      help: 'Calls to each deployment of GATEWAY_CONFIG_FILE, by outcome (success, failure, skipped: its circuit was open).',
      labelNames: ['deployment', 'outcome'] as const,
      registers: [registry],
    }),
    deploymentTokens: new Counter({
      name: 'gateway_deployment_tokens_total',
      help: 'Tokens (prompt and completion) of the calls each deployment of GATEWAY_CONFIG_FILE answered.',
      labelNames: ['deployment'] as const,
      registers: [registry],
    }),
    capacityWaits: new Counter({
      name: 'gateway_capacity_waits_total',
      help: 'Jobs put back in the queue because every deployment they may use was full or paused, by the reason of the soonest.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    providerRequests: new Counter({
      name: 'gateway_provider_requests_total',
      help: 'Provider calls, by provider, model and outcome (success, or the error type).',
      labelNames: ['provider', 'model', 'outcome'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'gateway_job_duration_seconds',
      help: 'Time a worker spent on a job (all provider attempts), by queue and outcome.',
      labelNames: ['queue', 'outcome'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    jobWait: new Histogram({
      name: 'gateway_job_wait_seconds',
      help: 'Time from the API accepting a job to a worker starting it, by queue and lane (interactive, job, batch).',
      labelNames: ['queue', 'lane'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    laneJobs: new Gauge({
      name: 'gateway_lane_jobs',
      help: 'Chat jobs waiting, by lane (interactive: the wait list, which also holds work promoted for its minimum share); read at scrape time.',
      labelNames: ['lane'] as const,
      registers: [registry],
      async collect() {
        await laneBacklog.refreshLanes(this);
      },
    }),
    tenantBacklog: new Gauge({
      name: 'gateway_tenant_backlog',
      help: 'Requests a tenant (key:<id>, agent:<id>) still has waiting, by lane: the 10 largest per lane, the rest as tenant="other".',
      labelNames: ['lane', 'tenant'] as const,
      registers: [registry],
      async collect() {
        await laneBacklog.refreshTenants(this);
      },
    }),
    laneOldestAge: new Gauge({
      name: 'gateway_lane_oldest_job_age_seconds',
      help: 'Age of the oldest job waiting in each lane (0 when none waits), among the next to be served in each of its priority bands; read at scrape time.',
      labelNames: ['lane'] as const,
      registers: [registry],
      async collect() {
        await laneBacklog.refreshOldest(this);
      },
    }),
    /** Reports the lanes (gateway_lane_jobs, gateway_lane_oldest_job_age_seconds) and tenants' backlogs at every scrape. */
    setLaneBacklogSource: laneBacklog.set,
    /** Reports a queue's depth (gateway_queue_jobs) at every scrape; returns a function that stops it. */
    addQueueDepthSource: queueDepth.add,
    providerFailovers: new Counter({
      name: 'gateway_provider_failovers_total',
      help: 'Moves from a failed provider to the next one, by provider left and provider tried next.',
      labelNames: ['from', 'to'] as const,
      registers: [registry],
    }),
    modelTokens: new Counter({
      name: 'gateway_model_tokens_total',
      help: 'Tokens of billed jobs, by provider, model and kind (prompt, completion).',
      labelNames: ['provider', 'model', 'kind'] as const,
      registers: [registry],
    }),
    spendUsd: new Counter({
      name: 'gateway_spend_usd_total',
      help: 'Spend billed for finished jobs in USD, by provider and model (each job once).',
      labelNames: ['provider', 'model'] as const,
      registers: [registry],
    }),
    rateLimitRejections: new Counter({
      name: 'gateway_rate_limit_rejections_total',
      help: 'Requests refused at admission, by limit (rate, caller_rate, daily_budget, monthly_budget, key_daily_budget, key_monthly_budget, reservation_share, stream_attaches).',
      labelNames: ['limit'] as const,
      registers: [registry],
    }),
    keySpendUsd: new Counter({
      name: 'gateway_key_spend_usd_total',
      help: 'Spend billed in USD by API key id (the first 200 keys seen by this process, then "other").',
      labelNames: ['key'] as const,
      registers: [registry],
    }),
    keyRefusals: new Counter({
      name: 'gateway_key_refusals_total',
      help: 'Requests of an API key refused at admission, by key id (bounded as above) and limit (rate, daily_budget, monthly_budget, key_daily_budget, key_monthly_budget).',
      labelNames: ['key', 'limit'] as const,
      registers: [registry],
    }),
    circuitState: new Gauge({
      name: 'gateway_circuit_breaker_state',
      help: 'Circuit breaker state per provider or deployment (of GATEWAY_CONFIG_FILE, by id): 0 closed, 1 open, 2 half-open; a provider with deployments declared shows the state they make together (open when all are, half-open when some are). The API reads it from Redis at scrape time; a worker shows what it last saw.',
      labelNames: ['provider'] as const,
      registers: [registry],
      async collect() {
        await ops.refreshCircuits(this);
      },
    }),
    routeProviders: new Gauge({
      name: 'gateway_route_providers',
      help: 'Providers of a route (default: LLM_PROVIDER then LLM_FALLBACKS) by circuit state (closed, open, half_open); read at scrape time by the API.',
      labelNames: ['route', 'state'] as const,
      registers: [registry],
      async collect() {
        await ops.refreshRoutes(this);
      },
    }),
    providerDeployments: new Gauge({
      name: 'gateway_provider_deployments',
      help: "Each provider's deployments (those of GATEWAY_CONFIG_FILE, else its implicit one) by circuit state (closed, open, half_open); read at scrape time by the API.",
      labelNames: ['provider', 'state'] as const,
      registers: [registry],
      async collect() {
        await ops.refreshProviders(this);
      },
    }),
    redisUp: new Gauge({
      name: 'gateway_redis_up',
      help: 'Whether Redis answered a PING from this process within 1 s at scrape time (1) or not (0).',
      registers: [registry],
      async collect() {
        await ops.refreshRedis(this);
      },
    }),
    budgetSpentUsd: new Gauge({
      name: 'gateway_budget_spent_usd',
      help: 'Spend settled against the global budget of the current UTC period (daily, monthly), in USD; read at scrape time by the API.',
      labelNames: ['budget'] as const,
      registers: [registry],
      async collect() {
        await ops.refreshBudgets(this, (reading) => reading.spentUsd);
      },
    }),
    budgetLimitUsd: new Gauge({
      name: 'gateway_budget_limit_usd',
      help: 'The global budget (LLM_DAILY_BUDGET_USD, LLM_MONTHLY_BUDGET_USD) while limits are enforced, in USD.',
      labelNames: ['budget'] as const,
      registers: [registry],
      async collect() {
        await ops.refreshBudgets(this, (reading) => reading.limitUsd);
      },
    }),
    /** Reports whether Redis answers (gateway_redis_up) at every scrape. */
    setRedisCheck: ops.setRedisCheck,
    /** Reports the global budgets (gateway_budget_spent_usd, gateway_budget_limit_usd) at every scrape. */
    setBudgetSource: ops.setBudgetSource,
    /**
     * Reports the circuits from Redis, and by state the routes' providers (gateway_route_providers) and each provider's
     * deployments (gateway_provider_deployments), at every scrape.
     */
    setCircuitSource: ops.setCircuitSource,

    streams: new Counter({
      name: 'gateway_streams_total',
      help: 'SSE streams ended, by outcome (completed, failed, cancelled).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    streamAttaches: new Counter({
      name: 'gateway_stream_attaches_total',
      help: 'Clients attached to a kept stream (GET /v1/jobs/:id/stream, or a duplicate stream), by whether they resumed from a Last-Event-ID.',
      labelNames: ['from'] as const,
      registers: [registry],
    }),
    streamAttachesActive: new Gauge({
      name: 'gateway_stream_attaches_active',
      help: 'Clients attached to kept streams on this API instance right now (capped by STREAM_ATTACH_MAX_PER_INSTANCE).',
      registers: [registry],
    }),
    responseCache: new Counter({
      name: 'gateway_response_cache_total',
      help: 'Requests that opted in to the response cache, by outcome (hit, coalesced: answered by an identical request in flight, miss, refresh).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    responseCacheSavedTokens: new Counter({
      name: 'gateway_response_cache_saved_tokens_total',
      help: "Tokens the response cache answered without an upstream call (the cached answers' prompt and completion tokens).",
      registers: [registry],
    }),
    idempotentRequests: new Counter({
      name: 'gateway_idempotent_requests_total',
      help: 'Requests sent with an Idempotency-Key, by outcome (created, joined: a duplicate of existing work, conflict).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    streamTimeToFirstToken: new Histogram({
      name: 'gateway_stream_time_to_first_token_seconds',
      help: 'Time from a stream request to its first token written to the client.',
      buckets: latencyBuckets,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
