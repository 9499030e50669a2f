import { z } from 'zod';
import { providerIdSchema, type ProviderId } from '@gateway/contracts';
import { environmentSchemaOf, setting } from './settings';
import {
  csv,
  logLevel,
  nonNegativeInt,
  nonNegativeNumber,
  optionalSecret,
  optionalUrl,
  otlpProtocol,
  port,
  positiveInt,
  traceSampler,
  url,
} from './value-schemas';

/** Shortest GATEWAY_AUTH_TOKEN accepted: a guessable token is worse than none, since it looks like protection. */
export const minimumAuthTokenLength = 16;
// Unset or empty: no token. Only whitespace used to mean "no token" silently (auth off): now a configuration error.
const authToken = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value === '' ? undefined : value.trim()))
  .refine((value) => value === undefined || value.length > 0, 'is only whitespace: unset it for no authentication, or set a real token')
  .refine(
    (value) => value === undefined || value.length === 0 || value.length >= minimumAuthTokenLength,
    `must be at least ${minimumAuthTokenLength} characters`,
  );

const providerRpm = csv.pipe(z.array(z.string().regex(/^[a-z]+=\d+$/, 'provider=requests-per-minute, e.g. openrouter=60'))).transform((entries, context) => {
  const rpm: Partial<Record<ProviderId, number>> = {};
  for (const entry of entries) {
    const [name = '', value = ''] = entry.split('=');
    const provider = providerIdSchema.safeParse(name);
    if (!provider.success) {
      context.addIssue({ code: 'custom', message: `unknown provider "${name}"` });
      return z.NEVER;
    }
    rpm[provider.data] = Number(value);
  }
  return rpm;
});

/** `name=model,…`: the model names agents send (Claude Code's `claude-sonnet-4-5`) onto the providers' model ids. */
const modelAliases = csv
  .pipe(z.array(z.string().regex(/^[^=\s]{1,256}=\S{1,256}$/, 'name=model, e.g. claude-sonnet-4-5=anthropic/claude-sonnet-4.5')))
  .transform(
    (entries) =>
      Object.freeze(Object.fromEntries(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]))) as Readonly<
        Record<string, string>
      >,
  );

/**
 * Every setting of the gateway's apps, under the name the code reads it by, with the environment variable it comes
 * from and its schema (with its default). Adding a variable is one line here (and its row in docs/CONFIGURATION.md).
 * A setting's schema reads only its own variable; values that combine several are derived in loadConfig.
 */
export const configShape = {
  nodeEnv: setting('NODE_ENV', z.enum(['development', 'production', 'test']).default('development')),
  log: {
    level: setting('LOG_LEVEL', logLevel),
    pretty: setting('LOG_PRETTY', z.stringbool().default(false)),
    /** Log lines are buffered and written at least this often (0: each line at once). */
    flushIntervalMs: setting('LOG_FLUSH_INTERVAL_MS', nonNegativeInt.default(100)),
  },
  http: {
    port: setting('GATEWAY_PORT', port.default(8080)),
    host: setting('GATEWAY_HOST', z.string().min(1).default('127.0.0.1')),
    bodyLimitBytes: setting('GATEWAY_BODY_LIMIT_BYTES', positiveInt.default(1_048_576)),
    /**
     * The deepest a JSON body may nest objects and arrays (400 past it): fields passed on as they are (tool
     * parameters, JSON schemas) are serialised recursively later, where a deep enough one would exhaust the stack.
     */
    maxJsonDepth: setting('GATEWAY_JSON_MAX_DEPTH', positiveInt.min(16).max(10_000).default(128)),
    authToken: setting('GATEWAY_AUTH_TOKEN', authToken),
    /** Opens /admin/* (the keys API, Bull Board); agents' keys never do. */
    adminToken: setting('GATEWAY_ADMIN_TOKEN', authToken),
    /** Bull Board shows queues without its actions (retry, clean, obliterate, add) unless false. */
    bullBoardReadOnly: setting('BULL_BOARD_READ_ONLY', z.stringbool().default(true)),
    /** How long an operator console login lasts (its session in Redis, and its cookie). */
    adminSessionTtlSeconds: setting('ADMIN_SESSION_TTL_SECONDS', positiveInt.min(60).max(604_800).default(28_800)),
    corsAllowedOrigins: setting('CORS_ALLOWED_ORIGINS', csv.default(['http://localhost:3000', 'http://localhost:8080'])),
    /**
     * Host header names accepted (lower-case, port ignored); empty: any. Unset, loadConfig derives them from
     * GATEWAY_HOST (loopback names on loopback, any otherwise: see allowedHostNames).
     */
    allowedHosts: setting('API_ALLOWED_HOSTS', csv),
    chatTimeoutMs: setting('CHAT_TIMEOUT_MS', positiveInt.default(120_000)),
    /** Open client connections the API holds at most (server.maxConnections); past it a new one is closed at once. */
    maxConnections: setting('GATEWAY_MAX_CONNECTIONS', positiveInt.default(10_000)),
    /** The most a client may take to send a request's headers (server.headersTimeout; 408, then closed). */
    headersTimeoutMs: setting('GATEWAY_HEADERS_TIMEOUT_MS', positiveInt.default(20_000)),
    /**
     * The most a client may take to send a whole request, body included (server.requestTimeout); raised to the
     * headers timeout when below it (Node refuses less). It ends when the request has arrived: SSE answers stream
     * for as long as they last.
     */
    requestTimeoutMs: setting('GATEWAY_REQUEST_TIMEOUT_MS', positiveInt.default(300_000)),
  },
  redis: {
    url: setting('REDIS_URL', url.default('redis://127.0.0.1:6379')),
    clusterNodes: setting('REDIS_CLUSTER_NODES', csv),
  },
  /** SSE streams: `: ping` interval until the first token, and the most a slow client may leave unsent. */
  stream: {
    keepAliveMs: setting('STREAM_KEEPALIVE_MS', positiveInt.default(5000)),
    maxBufferBytes: setting('STREAM_MAX_BUFFER_BYTES', positiveInt.default(1_048_576)),
    /** How long a resumable stream's job runs on after its client went away, waiting for it to come back. */
    resumeGraceMs: setting('STREAM_RESUME_GRACE_MS', positiveInt.default(30_000)),
    /** Most messages a resumable stream keeps in Redis (XADD MAXLEN ~). */
    resumeMaxMessages: setting('STREAM_RESUME_MAX_MESSAGES', positiveInt.default(10_000)),
    /** Most clients one caller may have attached to kept streams (GET /v1/jobs/:id/stream, duplicate streams) at once, per API instance. */
    attachMaxPerCaller: setting('STREAM_ATTACH_MAX_PER_CALLER', positiveInt.default(100)),
    /** Most clients attached to kept streams per API instance in all. */
    attachMaxPerInstance: setting('STREAM_ATTACH_MAX_PER_INSTANCE', positiveInt.default(1000)),
  },
  queue: {
    prefix: setting(
      'QUEUE_PREFIX',
      z
        .string()
        .regex(/^[A-Za-z0-9_{}:-]+$/, 'letters, digits, _ - : { } only')
        .default('gw'),
    ),
    retentionSeconds: setting('JOB_RETENTION_SECONDS', positiveInt.default(3600)),
  },
  /** Stored responses (`POST /v1/responses` with `store`): how long they are kept, and how many one owner may keep. */
  responses: {
    ttlSeconds: setting('RESPONSES_TTL_SECONDS', positiveInt.default(2_592_000)),
    maxPerOwner: setting('RESPONSES_MAX_PER_KEY', positiveInt.default(10_000)),
  },
  /** A worker process: one consumer per lane's queue (`chat`, `chat-job`, `chat-batch`), each with its own slots. */
  worker: {
    /** Interactive jobs in flight per worker process (the `chat` queue's consumer). */
    concurrency: setting('WORKER_CONCURRENCY', positiveInt.default(512)),
    /** Asynchronous jobs in flight per worker process (`chat-job`); unset: WORKER_CONCURRENCY. */
    jobConcurrency: setting('WORKER_JOB_CONCURRENCY', positiveInt.optional()),
    /** Batch requests in flight per worker process (`chat-batch`); unset: WORKER_CONCURRENCY. */
    batchConcurrency: setting('WORKER_BATCH_CONCURRENCY', positiveInt.optional()),
    lockDurationMs: setting('WORKER_LOCK_DURATION_MS', positiveInt.default(60_000)),
    stalledIntervalMs: setting('WORKER_STALLED_INTERVAL_MS', positiveInt.default(30_000)),
    maxStalledCount: setting('WORKER_MAX_STALLED_COUNT', z.coerce.number().int().nonnegative().default(2)),
  },
  llm: {
    provider: setting('LLM_PROVIDER', providerIdSchema.default('openrouter')),
    defaultModel: setting('LLM_DEFAULT_MODEL', z.string().min(1).default('thudm/glm-4-9b-chat')),
    fallbacks: setting('LLM_FALLBACKS', csv.pipe(z.array(providerIdSchema))),
    /** Model names a request may send for another model id, on every route. */
    modelAliases: setting('LLM_MODEL_ALIASES', modelAliases),
    providerTimeoutMs: setting('PROVIDER_TIMEOUT_MS', positiveInt.default(60_000)),
    /** Keep-alive connections one worker opens to one upstream at most: bounds the calls in flight per provider. */
    providerMaxConnections: setting('PROVIDER_MAX_CONNECTIONS', positiveInt.default(4096)),
  },
  providers: {
    openrouter: {
      apiKey: setting('OPENROUTER_API_KEY', optionalSecret),
      baseUrl: setting('OPENROUTER_BASE_URL', url.default('https://openrouter.ai/api/v1')),
      referer: setting('OPENROUTER_REFERER', z.string().optional()),
      title: setting('OPENROUTER_TITLE', z.string().default('LLM Gateway')),
      /** Inputs per upstream embeddings call: a longer input list is split into calls of this many, joined in order. */
      embedBatchSize: setting('OPENROUTER_EMBED_BATCH_SIZE', positiveInt.max(2048).default(512)),
    },
    ollama: {
      baseUrl: setting('OLLAMA_BASE_URL', url.default('http://localhost:11434')),
      defaultModel: setting('OLLAMA_DEFAULT_MODEL', z.string().min(1).default('qwen2.5-coder:7b')),
      embedBatchSize: setting('OLLAMA_EMBED_BATCH_SIZE', positiveInt.default(256)),
    },
    cursor: {
      baseUrl: setting('CURSOR_ADAPTER_URL', url.default('http://localhost:3210')),
      defaultModel: setting('CURSOR_DEFAULT_MODEL', z.string().min(1).default('auto')),
      /** The bearer the Cursor adapter requires (the same value on both sides). */
      token: setting('CURSOR_ADAPTER_TOKEN', optionalSecret),
    },
    openai: {
      apiKey: setting('OPENAI_API_KEY', optionalSecret),
      baseUrl: setting('OPENAI_BASE_URL', url.default('https://api.openai.com/v1')),
      defaultModel: setting('OPENAI_DEFAULT_MODEL', z.string().min(1).default('gpt-4o-mini')),
      embedBatchSize: setting('OPENAI_EMBED_BATCH_SIZE', positiveInt.max(2048).default(2048)),
    },
    anthropic: {
      apiKey: setting('ANTHROPIC_API_KEY', optionalSecret),
      baseUrl: setting('ANTHROPIC_BASE_URL', url.default('https://api.anthropic.com')),
      defaultModel: setting('ANTHROPIC_DEFAULT_MODEL', z.string().min(1).default('claude-3-5-haiku-latest')),
    },
    mock: {
      /** The mock also serves when it is LLM_PROVIDER or in LLM_FALLBACKS. */
      enabled: setting('MOCK_PROVIDER_ENABLED', z.stringbool().default(false)),
      reply: setting('MOCK_REPLY', z.string().optional()),
      latencyMs: setting('MOCK_LATENCY_MS', z.coerce.number().int().nonnegative().default(0)),
      fail: setting('MOCK_FAIL', z.enum(['none', 'upstream_error', 'timeout', 'invalid_request']).default('none')),
      embedBatchSize: setting('MOCK_EMBED_BATCH_SIZE', positiveInt.default(2048)),
    },
  },
  /** What admission enforces on callers: rate limits and budgets. */
  limits: {
    /** Rate limits and budget enforcement at admission (spend is recorded either way). */
    enabled: setting('GATEWAY_LIMITS_ENABLED', z.stringbool().default(true)),
    /**
     * Admission and BullMQ's add in one script (one round trip, atomic) where Redis and BullMQ allow it; `false`
     * takes two round trips (admission, then the add; a failed add gives the reservation back), as on a cluster.
     */
    fusedEnqueue: setting('GATEWAY_FUSED_ENQUEUE', z.stringbool().default(true)),
    rateRps: setting('GATEWAY_RATE_RPS', z.coerce.number().positive().default(10)),
    rateBurst: setting('GATEWAY_RATE_BURST', positiveInt.default(20)),
    /**
     * The caller-wide bucket above the agents' buckets of the static token, the admin token and unauthenticated
     * callers (each its own): rotating agent_id cannot go beyond it. API keys keep their own bucket instead.
     * Unset: ten times the agent's (derived in loadConfig).
     */
    callerRateRps: setting('GATEWAY_CALLER_RATE_RPS', z.coerce.number().positive().optional()),
    callerRateBurst: setting('GATEWAY_CALLER_RATE_BURST', positiveInt.optional()),
    dailyBudgetUsd: setting('LLM_DAILY_BUDGET_USD', nonNegativeNumber.default(50)),
    monthlyBudgetUsd: setting('LLM_MONTHLY_BUDGET_USD', nonNegativeNumber.default(500)),
    /** Completion tokens assumed when estimating a request without max_tokens. */
    defaultMaxTokens: setting('BUDGET_DEFAULT_MAX_TOKENS', positiveInt.default(1024)),
    /** How long an admitted job's budget reservation holds when it is never settled or released. */
    reservationTtlSeconds: setting('BUDGET_RESERVATION_TTL_SECONDS', positiveInt.default(900)),
    /**
     * The most of a budget (global or a key's, daily or monthly) one request may reserve: a request whose estimate is
     * more is refused (402) and asked for a lower max_tokens, so no one caller can hold a budget with a few requests.
     */
    maxReservationShare: setting('BUDGET_MAX_RESERVATION_SHARE', z.coerce.number().positive().max(1).default(0.25)),
  },
  /** Where prices come from (spend is priced whether limits are enforced or not). */
  pricing: {
    /** JSON file overriding the built-in pricing table (model → USD per million prompt/completion tokens). */
    file: setting('LLM_PRICING_FILE', z.string().min(1).optional()),
    /** How often OpenRouter's models endpoint is fetched for its prices, by one instance of all (0: never). */
    refreshMs: setting('PRICING_REFRESH_MS', z.coerce.number().int().nonnegative().default(3_600_000)),
  },
  /** How fast the workers call each provider, across all of them (whether limits are enforced or not). */
  pacing: {
    /** Requests per minute allowed per provider (absent: unpaced). */
    rpm: setting('PROVIDER_RPM', providerRpm),
    /** The longest an upstream 429's Retry-After pauses a provider for every worker. */
    maxPauseMs: setting('PROVIDER_MAX_PAUSE_MS', positiveInt.default(60_000)),
    /** The share of a paced provider's per-second rate only interactive calls may take. */
    interactiveReserve: setting('PROVIDER_INTERACTIVE_RESERVE', z.coerce.number().min(0).max(1).default(0.25)),
  },
  circuit: {
    failureThreshold: setting('CIRCUIT_FAILURE_THRESHOLD', positiveInt.default(3)),
    resetTimeMs: setting('CIRCUIT_RESET_TIME_MS', positiveInt.default(60_000)),
  },
  /** Running it: shutdown bound, the worker's metrics endpoint (port 0 = off). */
  operations: {
    shutdownTimeoutMs: setting('SHUTDOWN_TIMEOUT_MS', positiveInt.default(30_000)),
    workerMetricsPort: setting('WORKER_METRICS_PORT', port.default(9464)),
    workerMetricsHost: setting('WORKER_METRICS_HOST', z.string().min(1).default('127.0.0.1')),
  },
  /**
   * OpenTelemetry traces, by the standard variables: exported over OTLP/HTTP once an endpoint is set, off otherwise
   * (no SDK loaded, nothing added to a job).
   */
  tracing: {
    endpoint: setting('OTEL_EXPORTER_OTLP_ENDPOINT', optionalUrl),
    /** Used as it is (the general endpoint gets `/v1/traces` appended). */
    tracesEndpoint: setting('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', optionalUrl),
    protocol: setting('OTEL_EXPORTER_OTLP_PROTOCOL', otlpProtocol.default('http/protobuf')),
    tracesProtocol: setting('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', otlpProtocol.optional()),
    /** `name=value` pairs, comma-separated, values URL-encoded (an exporter's credentials). */
    headers: setting('OTEL_EXPORTER_OTLP_HEADERS', optionalSecret),
    tracesHeaders: setting('OTEL_EXPORTER_OTLP_TRACES_HEADERS', optionalSecret),
    /** Unset: `gateway-api` or `gateway-worker`, by app. */
    serviceName: setting('OTEL_SERVICE_NAME', optionalSecret),
    sampler: setting('OTEL_TRACES_SAMPLER', traceSampler.default('parentbased_always_on')),
    /** The ratio of the `traceidratio` samplers. */
    samplerArg: setting('OTEL_TRACES_SAMPLER_ARG', z.coerce.number().min(0).max(1).default(1)),
    /** Finished spans are sent at least this often. */
    exportDelayMs: setting('OTEL_BSP_SCHEDULE_DELAY', positiveInt.default(5000)),
  },
  /** The response cache: exact-match answers per key; 0: off. */
  responseCache: {
    ttlSeconds: setting('RESPONSE_CACHE_TTL_SECONDS', nonNegativeInt.default(0)),
    /** The bytes of answers one API key keeps at most (callers without a key: one quota per kind); past it, its oldest go. */
    keyQuotaBytes: setting('RESPONSE_CACHE_KEY_QUOTA_BYTES', positiveInt.default(104_857_600)),
  },
  /** The request log (GET /admin/requests): one entry per finished request, bounded in Redis. */
  requestLog: {
    /** Entries kept at most (the oldest go first); 0: no request log. */
    maxEntries: setting('REQUEST_LOG_MAX_ENTRIES', nonNegativeInt.default(100_000)),
    maxAgeSeconds: setting('REQUEST_LOG_MAX_AGE_SECONDS', positiveInt.default(604_800)),
    /** Keep each request's messages and answer in its entry (redacted like logs). */
    bodies: setting('REQUEST_LOG_BODIES', z.stringbool().default(false)),
  },
  /** Asynchronous jobs and batches. */
  jobs: {
    callbackAllowedHosts: setting('JOB_CALLBACK_ALLOWED_HOSTS', csv),
    /** HMAC key of X-Gateway-Signature; undefined: callbacks go unsigned (the worker warns). */
    callbackSecret: setting('JOB_CALLBACK_SECRET', optionalSecret),
    callbackMaxAttempts: setting('JOB_CALLBACK_MAX_ATTEMPTS', positiveInt.default(5)),
    callbackTimeoutMs: setting('JOB_CALLBACK_TIMEOUT_MS', positiveInt.default(10_000)),
    batchMaxRequests: setting('BATCH_MAX_REQUESTS', positiveInt.default(10_000)),
    batchBodyLimitBytes: setting('BATCH_BODY_LIMIT_BYTES', positiveInt.default(33_554_432)),
    /** The largest file `POST /v1/files` takes (bytes as uploaded). */
    filesMaxBytes: setting('FILES_MAX_BYTES', positiveInt.default(104_857_600)),
    /** How long an uploaded file is kept. */
    filesTtlSeconds: setting('FILES_TTL_SECONDS', positiveInt.default(2_592_000)),
    /** The bytes (as uploaded) of one owner's live files together. */
    filesKeyQuotaBytes: setting('FILES_KEY_QUOTA_BYTES', positiveInt.default(1_073_741_824)),
  },
  /** Models listed by GET /v1/models (loadConfig puts LLM_DEFAULT_MODEL when none are given). */
  models: setting('GATEWAY_MODELS', csv),
  /** Deployments, model groups and aliases (YAML or JSON); read and checked by loadConfig into `file`. */
  configFile: setting('GATEWAY_CONFIG_FILE', z.string().trim().min(1).optional()),
};

/** Every environment variable the gateway's apps read, with its default: the flat view of configShape. */
export const envSchema = environmentSchemaOf(configShape);

export type Env = z.infer<typeof envSchema>;
