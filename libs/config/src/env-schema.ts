import { z } from 'zod';
import { providerIdSchema } from '@gateway/contracts';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
const nonNegativeNumber = z.coerce.number().nonnegative();
const url = z.url();
const optionalSecret = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
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
const csv = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  );

/** Every environment variable the apps read, with its default. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: z.stringbool().default(false),
  LOG_FLUSH_INTERVAL_MS: nonNegativeInt.default(100),

  GATEWAY_PORT: port.default(8080),
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_BODY_LIMIT_BYTES: positiveInt.default(1_048_576),
  GATEWAY_MAX_CONNECTIONS: positiveInt.default(10_000),
  GATEWAY_HEADERS_TIMEOUT_MS: positiveInt.default(20_000),
  GATEWAY_REQUEST_TIMEOUT_MS: positiveInt.default(300_000),
  GATEWAY_AUTH_TOKEN: authToken,
  GATEWAY_ADMIN_TOKEN: authToken,
  BULL_BOARD_READ_ONLY: z.stringbool().default(true),
  // Host header names accepted (port ignored); empty: derived from GATEWAY_HOST (loopback names on loopback, any otherwise).
  API_ALLOWED_HOSTS: csv,
  CORS_ALLOWED_ORIGINS: csv.default(['http://localhost:3000', 'http://localhost:8080']),
  CHAT_TIMEOUT_MS: positiveInt.default(120_000),
  STREAM_KEEPALIVE_MS: positiveInt.default(5000),
  STREAM_MAX_BUFFER_BYTES: positiveInt.default(1_048_576),
  STREAM_RESUME_GRACE_MS: positiveInt.default(30_000),
  STREAM_RESUME_MAX_MESSAGES: positiveInt.default(10_000),

  REDIS_URL: url.default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: csv,
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}:-]+$/, 'letters, digits, _ - : { } only')
    .default('gw'),
  JOB_RETENTION_SECONDS: positiveInt.default(3600),

  WORKER_CONCURRENCY: positiveInt.default(512),
  WORKER_LOCK_DURATION_MS: positiveInt.default(60_000),
  WORKER_STALLED_INTERVAL_MS: positiveInt.default(30_000),
  WORKER_MAX_STALLED_COUNT: z.coerce.number().int().nonnegative().default(2),
  // Worker slots that take only interactive jobs (a second consumer per worker process); 0: none.
  WORKER_INTERACTIVE_SLOTS: z.coerce.number().int().min(0).max(64).default(1),
  // The share of a worker's job starts each lane below interactive (jobs, batches) is promised while it has a backlog.
  LANE_MIN_SHARE: z.coerce.number().min(0).max(0.5).default(0.1),

  LLM_PROVIDER: providerIdSchema.default('openrouter'),
  LLM_DEFAULT_MODEL: z.string().min(1).default('thudm/glm-4-9b-chat'),
  LLM_FALLBACKS: csv.pipe(z.array(providerIdSchema)),
  PROVIDER_TIMEOUT_MS: positiveInt.default(60_000),
  PROVIDER_MAX_CONNECTIONS: positiveInt.default(4096),
  PROVIDER_MAX_PAUSE_MS: positiveInt.default(60_000),

  OPENROUTER_API_KEY: optionalSecret,
  OPENROUTER_BASE_URL: url.default('https://openrouter.ai/api/v1'),
  OPENROUTER_REFERER: z.string().optional(),
  OPENROUTER_TITLE: z.string().default('LLM Gateway'),
  OLLAMA_BASE_URL: url.default('http://localhost:11434'),
  OLLAMA_DEFAULT_MODEL: z.string().min(1).default('qwen2.5-coder:7b'),
  CURSOR_ADAPTER_URL: url.default('http://localhost:3210'),
  CURSOR_DEFAULT_MODEL: z.string().min(1).default('auto'),
  CURSOR_ADAPTER_TOKEN: optionalSecret,
  OPENAI_DEFAULT_MODEL: z.string().min(1).default('gpt-4o-mini'),
  ANTHROPIC_DEFAULT_MODEL: z.string().min(1).default('claude-3-5-haiku-latest'),
  OPENAI_API_KEY: optionalSecret,
  OPENAI_BASE_URL: url.default('https://api.openai.com/v1'),
  ANTHROPIC_API_KEY: optionalSecret,
  ANTHROPIC_BASE_URL: url.default('https://api.anthropic.com'),

  MOCK_PROVIDER_ENABLED: z.stringbool().default(false),
  MOCK_REPLY: z.string().optional(),
  MOCK_LATENCY_MS: z.coerce.number().int().nonnegative().default(0),
  MOCK_FAIL: z.enum(['none', 'upstream_error', 'timeout', 'invalid_request']).default('none'),

  GATEWAY_LIMITS_ENABLED: z.stringbool().default(true),
  GATEWAY_RATE_RPS: z.coerce.number().positive().default(10),
  GATEWAY_RATE_BURST: positiveInt.default(20),
  // Absent: ten times GATEWAY_RATE_RPS / GATEWAY_RATE_BURST (see config.ts).
  GATEWAY_CALLER_RATE_RPS: z.coerce.number().positive().optional(),
  GATEWAY_CALLER_RATE_BURST: positiveInt.optional(),
  LLM_DAILY_BUDGET_USD: nonNegativeNumber.default(50),
  LLM_MONTHLY_BUDGET_USD: nonNegativeNumber.default(500),
  LLM_PRICING_FILE: z.string().min(1).optional(),
  PRICING_REFRESH_MS: z.coerce.number().int().nonnegative().default(3_600_000),
  BUDGET_DEFAULT_MAX_TOKENS: positiveInt.default(1024),
  BUDGET_RESERVATION_TTL_SECONDS: positiveInt.default(900),
  BUDGET_MAX_RESERVATION_SHARE: z.coerce.number().positive().max(1).default(0.25),
  PROVIDER_INTERACTIVE_RESERVE: z.coerce.number().min(0).max(1).default(0.25),
  PROVIDER_RPM: csv.pipe(z.array(z.string().regex(/^[a-z]+=\d+$/, 'provider=requests-per-minute, e.g. openrouter=60'))),
  CIRCUIT_FAILURE_THRESHOLD: positiveInt.default(3),
  CIRCUIT_RESET_TIME_MS: positiveInt.default(60_000),

  // Operations: graceful shutdown bound, the worker's metrics endpoint.
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(30_000),
  WORKER_METRICS_PORT: port.default(9464),
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  JOB_CALLBACK_ALLOWED_HOSTS: csv,
  JOB_CALLBACK_SECRET: optionalSecret,
  JOB_CALLBACK_MAX_ATTEMPTS: positiveInt.default(5),
  JOB_CALLBACK_TIMEOUT_MS: positiveInt.default(10_000),
  BATCH_MAX_REQUESTS: positiveInt.default(10_000),
  BATCH_BODY_LIMIT_BYTES: positiveInt.default(33_554_432),
  GATEWAY_MODELS: csv,
});

export type Env = z.infer<typeof envSchema>;
