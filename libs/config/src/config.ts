import { z } from 'zod';
import { providerIdSchema, type ProviderId } from '@gateway/contracts';
import { allowedHostNames } from './allowed-hosts';
import { envSchema } from './env-schema';

/** Which providers a key or address is needed for, and which variable carries it. */
const requiredCredential: Partial<Record<ProviderId, 'OPENROUTER_API_KEY' | 'OPENAI_API_KEY' | 'ANTHROPIC_API_KEY'>> = {
  openrouter: 'OPENROUTER_API_KEY',
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
};

/** The validated, frozen configuration of an app. */
export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  /** flushIntervalMs: log lines are buffered and written at least this often (0: each line at once). */
  readonly log: { readonly level: string; readonly pretty: boolean; readonly flushIntervalMs: number };
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly bodyLimitBytes: number;
    readonly authToken: string | undefined;
    /** GATEWAY_ADMIN_TOKEN: opens /admin/* (the keys API, Bull Board); agents' keys never do. */
    readonly adminToken: string | undefined;
    /** Bull Board shows queues without its actions (retry, clean, obliterate, add) unless false. */
    readonly bullBoardReadOnly: boolean;
    readonly corsAllowedOrigins: readonly string[];
    /** Host header names accepted (lower-case, port ignored); empty: any (see allowedHostNames). */
    readonly allowedHosts: readonly string[];
    readonly chatTimeoutMs: number;
    /** Open client connections the API holds at most (server.maxConnections); past it a new one is closed at once. */
    readonly maxConnections: number;
    /** The most a client may take to send a request's headers (server.headersTimeout; 408, then closed). */
    readonly headersTimeoutMs: number;
    /**
     * The most a client may take to send a whole request, body included (server.requestTimeout). It ends when the
     * request has arrived: SSE answers stream for as long as they last.
     */
    readonly requestTimeoutMs: number;
  };
  readonly redis: { readonly url: string; readonly clusterNodes: readonly string[] };
  /** SSE streams: `: ping` interval until the first token, and the most a slow client may leave unsent. */
  readonly stream: {
    readonly keepAliveMs: number;
    readonly maxBufferBytes: number;
    /** How long a resumable stream's job runs on after its client went away, waiting for it to come back. */
    readonly resumeGraceMs: number;
    /** Most messages a resumable stream keeps in Redis (XADD MAXLEN ~). */
    readonly resumeMaxMessages: number;
  };
  readonly queue: { readonly prefix: string; readonly retentionSeconds: number };
  readonly worker: {
    readonly concurrency: number;
    readonly lockDurationMs: number;
    readonly stalledIntervalMs: number;
    readonly maxStalledCount: number;
  };
  readonly llm: {
    readonly provider: ProviderId;
    readonly defaultModel: string;
    readonly fallbacks: readonly ProviderId[];
    readonly providerTimeoutMs: number;
    /** Keep-alive connections one worker opens to one upstream at most: bounds the calls in flight per provider. */
    readonly providerMaxConnections: number;
  };
  readonly providers: {
    readonly openrouter: { readonly apiKey: string | undefined; readonly baseUrl: string; readonly referer: string | undefined; readonly title: string };
    readonly ollama: { readonly baseUrl: string; readonly defaultModel: string };
    /** token: the bearer the Cursor adapter requires (CURSOR_ADAPTER_TOKEN, the same value on both sides). */
    readonly cursor: { readonly baseUrl: string; readonly defaultModel: string; readonly token: string | undefined };
    readonly openai: { readonly apiKey: string | undefined; readonly baseUrl: string; readonly defaultModel: string };
    readonly anthropic: { readonly apiKey: string | undefined; readonly baseUrl: string; readonly defaultModel: string };
    /** enabled: MOCK_PROVIDER_ENABLED (the mock also serves when it is LLM_PROVIDER or in LLM_FALLBACKS). */
    readonly mock: {
      readonly enabled: boolean;
      readonly reply: string | undefined;
      readonly latencyMs: number;
      readonly fail: 'none' | 'upstream_error' | 'timeout' | 'invalid_request';
    };
  };
  readonly limits: {
    /** Rate limits and budget enforcement at admission (spend is recorded either way). */
    readonly enabled: boolean;
    readonly rateRps: number;
    readonly rateBurst: number;
    /**
     * The caller-wide bucket above the agents' buckets of the static token and of unauthenticated callers (each its
     * own): rotating agent_id cannot go beyond it. API keys keep their own bucket instead.
     */
    readonly callerRateRps: number;
    readonly callerRateBurst: number;
    readonly dailyBudgetUsd: number;
    readonly monthlyBudgetUsd: number;
    /** JSON file overriding the built-in pricing table (model → USD per million prompt/completion tokens). */
    readonly pricingFile: string | undefined;
    /** How often OpenRouter's models endpoint is fetched for its prices, by one instance of all (0: never). */
    readonly pricingRefreshMs: number;
    /** Completion tokens assumed when estimating a request without max_tokens. */
    readonly defaultMaxTokens: number;
    /** How long an admitted job's budget reservation holds when it is never settled or released. */
    readonly reservationTtlSeconds: number;
    /**
     * The most of a budget (global or a key's, daily or monthly) one request may reserve: a request whose estimate is
     * more is refused (402) and asked for a lower max_tokens, so no one caller can hold a budget with a few requests.
     */
    readonly maxReservationShare: number;
    /** Requests per minute allowed per provider (absent: unpaced). */
    readonly providerRpm: Readonly<Partial<Record<ProviderId, number>>>;
    /** The longest an upstream 429's Retry-After pauses a provider for every worker. */
    readonly providerMaxPauseMs: number;
    /** PROVIDER_INTERACTIVE_RESERVE: the share of a paced provider's per-second rate only interactive calls may take. */
    readonly providerInteractiveReserve: number;
  };
  readonly circuit: { readonly failureThreshold: number; readonly resetTimeMs: number };
  /** Running it: shutdown bound, the worker's metrics endpoint (port 0 = off). */
  readonly operations: { readonly shutdownTimeoutMs: number; readonly workerMetricsPort: number; readonly workerMetricsHost: string };
  /** Asynchronous jobs and batches. */
  readonly jobs: {
    readonly callbackAllowedHosts: readonly string[];
    /** HMAC key of X-Gateway-Signature (JOB_CALLBACK_SECRET); undefined: callbacks go unsigned (the worker warns). */
    readonly callbackSecret: string | undefined;
    readonly callbackMaxAttempts: number;
    readonly callbackTimeoutMs: number;
    readonly batchMaxRequests: number;
    /** LANE_MIN_SHARE: the share of job starts the job and batch lanes each keep while they have a backlog (0: none). */
    readonly laneMinShare: number;
    /** WORKER_INTERACTIVE_SLOTS: slots of each worker process that run interactive jobs only (0: none). */
    readonly interactiveSlots: number;
    readonly batchBodyLimitBytes: number;
  };
  /** Models listed by GET /v1/models (LLM_DEFAULT_MODEL when none are given). */
  readonly models: readonly string[];
}

/** Thrown when the environment is wrong; its message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The caller-wide bucket's default: this many agents' worth of rate and burst. */
const callerRateFactor = 10;

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`).join('; ');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function parseProviderRpm(entries: readonly string[]): Partial<Record<ProviderId, number>> {
  const rpm: Partial<Record<ProviderId, number>> = {};
  for (const entry of entries) {
    const [name = '', value = ''] = entry.split('=');
    const provider = providerIdSchema.safeParse(name);
    if (!provider.success) throw new ConfigError(`invalid configuration: PROVIDER_RPM: unknown provider "${name}"`);
    rpm[provider.data] = Number(value);
  }
  return rpm;
}

/** Reads and validates the environment once. Throws ConfigError naming the variable at fault. */
export function loadConfig(environment: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(environment);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration: ${describeIssues(parsed.error.issues)}`);
  }
  const env = parsed.data;

  const chain: ProviderId[] = [env.LLM_PROVIDER, ...env.LLM_FALLBACKS];
  const missing = [...new Set(chain)]
    .map((provider) => requiredCredential[provider])
    .filter((variable): variable is NonNullable<typeof variable> => variable !== undefined && env[variable] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      `invalid configuration: ${missing.map((variable) => `${variable}: required because its provider is in LLM_PROVIDER/LLM_FALLBACKS`).join('; ')}`,
    );
  }

  return deepFreeze<Config>({
    nodeEnv: env.NODE_ENV,
    log: { level: env.LOG_LEVEL, pretty: env.LOG_PRETTY, flushIntervalMs: env.LOG_FLUSH_INTERVAL_MS },
    http: {
      port: env.GATEWAY_PORT,
      host: env.GATEWAY_HOST,
      bodyLimitBytes: env.GATEWAY_BODY_LIMIT_BYTES,
      authToken: env.GATEWAY_AUTH_TOKEN,
      adminToken: env.GATEWAY_ADMIN_TOKEN,
      bullBoardReadOnly: env.BULL_BOARD_READ_ONLY,
      corsAllowedOrigins: env.CORS_ALLOWED_ORIGINS,
      allowedHosts: allowedHostNames(env.API_ALLOWED_HOSTS, env.GATEWAY_HOST),
      chatTimeoutMs: env.CHAT_TIMEOUT_MS,
      maxConnections: env.GATEWAY_MAX_CONNECTIONS,
      headersTimeoutMs: env.GATEWAY_HEADERS_TIMEOUT_MS,
      // Node refuses a request timeout below the headers timeout.
      requestTimeoutMs: Math.max(env.GATEWAY_REQUEST_TIMEOUT_MS, env.GATEWAY_HEADERS_TIMEOUT_MS),
    },
    redis: { url: env.REDIS_URL, clusterNodes: env.REDIS_CLUSTER_NODES },
    stream: {
      keepAliveMs: env.STREAM_KEEPALIVE_MS,
      maxBufferBytes: env.STREAM_MAX_BUFFER_BYTES,
      resumeGraceMs: env.STREAM_RESUME_GRACE_MS,
      resumeMaxMessages: env.STREAM_RESUME_MAX_MESSAGES,
    },
    queue: { prefix: env.QUEUE_PREFIX, retentionSeconds: env.JOB_RETENTION_SECONDS },
    worker: {
      concurrency: env.WORKER_CONCURRENCY,
      lockDurationMs: env.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: env.WORKER_MAX_STALLED_COUNT,
    },
    llm: {
      provider: env.LLM_PROVIDER,
      defaultModel: env.LLM_DEFAULT_MODEL,
      fallbacks: env.LLM_FALLBACKS,
      providerTimeoutMs: env.PROVIDER_TIMEOUT_MS,
      providerMaxConnections: env.PROVIDER_MAX_CONNECTIONS,
    },
    providers: {
      openrouter: { apiKey: env.OPENROUTER_API_KEY, baseUrl: env.OPENROUTER_BASE_URL, referer: env.OPENROUTER_REFERER, title: env.OPENROUTER_TITLE },
      ollama: { baseUrl: env.OLLAMA_BASE_URL, defaultModel: env.OLLAMA_DEFAULT_MODEL },
      cursor: { baseUrl: env.CURSOR_ADAPTER_URL, defaultModel: env.CURSOR_DEFAULT_MODEL, token: env.CURSOR_ADAPTER_TOKEN },
      openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL, defaultModel: env.OPENAI_DEFAULT_MODEL },
      anthropic: { apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL, defaultModel: env.ANTHROPIC_DEFAULT_MODEL },
      mock: { enabled: env.MOCK_PROVIDER_ENABLED, reply: env.MOCK_REPLY, latencyMs: env.MOCK_LATENCY_MS, fail: env.MOCK_FAIL },
    },
    limits: {
      enabled: env.GATEWAY_LIMITS_ENABLED,
      rateRps: env.GATEWAY_RATE_RPS,
      rateBurst: env.GATEWAY_RATE_BURST,
      callerRateRps: env.GATEWAY_CALLER_RATE_RPS ?? env.GATEWAY_RATE_RPS * callerRateFactor,
      callerRateBurst: env.GATEWAY_CALLER_RATE_BURST ?? env.GATEWAY_RATE_BURST * callerRateFactor,
      dailyBudgetUsd: env.LLM_DAILY_BUDGET_USD,
      monthlyBudgetUsd: env.LLM_MONTHLY_BUDGET_USD,
      pricingFile: env.LLM_PRICING_FILE,
      pricingRefreshMs: env.PRICING_REFRESH_MS,
      defaultMaxTokens: env.BUDGET_DEFAULT_MAX_TOKENS,
      reservationTtlSeconds: env.BUDGET_RESERVATION_TTL_SECONDS,
      maxReservationShare: env.BUDGET_MAX_RESERVATION_SHARE,
      providerRpm: parseProviderRpm(env.PROVIDER_RPM),
      providerMaxPauseMs: env.PROVIDER_MAX_PAUSE_MS,
      providerInteractiveReserve: env.PROVIDER_INTERACTIVE_RESERVE,
    },
    circuit: { failureThreshold: env.CIRCUIT_FAILURE_THRESHOLD, resetTimeMs: env.CIRCUIT_RESET_TIME_MS },
    operations: { shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS, workerMetricsPort: env.WORKER_METRICS_PORT, workerMetricsHost: env.WORKER_METRICS_HOST },
    jobs: {
      callbackAllowedHosts: env.JOB_CALLBACK_ALLOWED_HOSTS,
      callbackSecret: env.JOB_CALLBACK_SECRET,
      callbackMaxAttempts: env.JOB_CALLBACK_MAX_ATTEMPTS,
      callbackTimeoutMs: env.JOB_CALLBACK_TIMEOUT_MS,
      batchMaxRequests: env.BATCH_MAX_REQUESTS,
      laneMinShare: env.LANE_MIN_SHARE,
      interactiveSlots: env.WORKER_INTERACTIVE_SLOTS,
      batchBodyLimitBytes: env.BATCH_BODY_LIMIT_BYTES,
    },
    models: env.GATEWAY_MODELS.length > 0 ? env.GATEWAY_MODELS : [env.LLM_DEFAULT_MODEL],
  });
}

/** For app entry points: loads the config or prints why not and exits 1. */
export function loadConfigOrExit(environment: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
