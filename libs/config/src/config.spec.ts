import { ConfigError, loadConfig } from './config';
import { loadCursorAdapterConfig } from './cursor-adapter-config';
import { cursorAdapterSecretValues, secretValues } from './secrets';

const mockEnv = { LLM_PROVIDER: 'mock' };

describe('loadConfig', () => {
  it('applies the spec defaults', () => {
    const config = loadConfig({ OPENROUTER_API_KEY: 'sk-or-test' });
    expect(config.http.port).toBe(8080);
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.llm.provider).toBe('openrouter');
    expect(config.llm.defaultModel).toBe('thudm/glm-4-9b-chat');
    expect(config.llm.fallbacks).toEqual([]);
    expect(config.providers.openrouter.baseUrl).toBe('https://openrouter.ai/api/v1');
    expect(config.providers.ollama.baseUrl).toBe('http://localhost:11434');
    expect(config.providers.cursor.baseUrl).toBe('http://localhost:3210');
    expect(config.limits).toMatchObject({ rateRps: 10, rateBurst: 20, dailyBudgetUsd: 50, monthlyBudgetUsd: 500 });
    expect(config.pricing.file).toBeUndefined();
    expect(config.pacing.rpm).toEqual({});
    expect(config.circuit).toEqual({ failureThreshold: 3, resetTimeMs: 60_000 });
    expect(config.http.corsAllowedOrigins).toEqual(['http://localhost:3000', 'http://localhost:8080']);
    expect(config.http.authToken).toBeUndefined();
    expect(config.worker.concurrency).toBeGreaterThanOrEqual(100);
  });

  it('gives the caller-wide bucket ten agents of rate and burst unless set', () => {
    expect(loadConfig({ ...mockEnv, GATEWAY_RATE_RPS: '2', GATEWAY_RATE_BURST: '5' }).limits).toMatchObject({ callerRateRps: 20, callerRateBurst: 50 });
    expect(loadConfig({ ...mockEnv, GATEWAY_CALLER_RATE_RPS: '3', GATEWAY_CALLER_RATE_BURST: '7' }).limits).toMatchObject({
      callerRateRps: 3,
      callerRateBurst: 7,
    });
  });

  it('bounds the API server: connections, headers and request timeouts (a request timeout never below the headers one)', () => {
    expect(loadConfig(mockEnv).http).toMatchObject({ maxConnections: 10_000, headersTimeoutMs: 20_000, requestTimeoutMs: 300_000 });
    expect(loadConfig(mockEnv).limits.maxReservationShare).toBe(0.25);
    expect(loadConfig({ ...mockEnv, GATEWAY_HEADERS_TIMEOUT_MS: '5000', GATEWAY_REQUEST_TIMEOUT_MS: '1000' }).http).toMatchObject({
      headersTimeoutMs: 5000,
      requestTimeoutMs: 5000,
    });
  });

  it('is frozen', () => {
    const config = loadConfig(mockEnv);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it.each([
    [{ ...mockEnv, GATEWAY_PORT: 'eighty' }, 'GATEWAY_PORT'],
    [{ ...mockEnv, GATEWAY_PORT: '70000' }, 'GATEWAY_PORT'],
    [{ LLM_PROVIDER: 'gemini' }, 'LLM_PROVIDER'],
    [{ ...mockEnv, LLM_FALLBACKS: 'ollama,bogus' }, 'LLM_FALLBACKS'],
    [{ ...mockEnv, REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ ...mockEnv, GATEWAY_RATE_RPS: '-1' }, 'GATEWAY_RATE_RPS'],
    [{ ...mockEnv, GATEWAY_CALLER_RATE_BURST: '0' }, 'GATEWAY_CALLER_RATE_BURST'],
    [{ ...mockEnv, CIRCUIT_FAILURE_THRESHOLD: '0' }, 'CIRCUIT_FAILURE_THRESHOLD'],
    [{ ...mockEnv, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ...mockEnv, PROVIDER_RPM: 'openrouter=fast' }, 'PROVIDER_RPM'],
    [{ ...mockEnv, PROVIDER_RPM: 'gemini=60' }, 'PROVIDER_RPM'],
    [{ ...mockEnv, ADMIN_SESSION_TTL_SECONDS: '59' }, 'ADMIN_SESSION_TTL_SECONDS'],
    [{ ...mockEnv, ADMIN_SESSION_TTL_SECONDS: '604801' }, 'ADMIN_SESSION_TTL_SECONDS'],
  ])('rejects %j naming %s', (environment, variable) => {
    expect(() => loadConfig(environment)).toThrow(ConfigError);
    expect(() => loadConfig(environment)).toThrow(variable);
  });

  it('runs the checks it is given on the parsed configuration and names every problem they find', () => {
    const noFallbacks = (config: { llm: { fallbacks: readonly string[] } }) => (config.llm.fallbacks.length === 0 ? ['LLM_FALLBACKS: required here'] : []);
    expect(() => loadConfig(mockEnv, [noFallbacks])).toThrow(new ConfigError('invalid configuration: LLM_FALLBACKS: required here'));
    expect(loadConfig({ ...mockEnv, LLM_FALLBACKS: 'ollama' }, [noFallbacks]).llm.fallbacks).toEqual(['ollama']);
  });

  it('parses per-provider requests per minute', () => {
    expect(loadConfig({ ...mockEnv, PROVIDER_RPM: 'openrouter=60, ollama=5' }).pacing.rpm).toEqual({ openrouter: 60, ollama: 5 });
  });

  it('parses lists and numbers', () => {
    const config = loadConfig({
      ...mockEnv,
      LLM_FALLBACKS: ' ollama , cursor ',
      GATEWAY_PORT: '9090',
      CORS_ALLOWED_ORIGINS: 'https://a.example,https://b.example',
      GATEWAY_AUTH_TOKEN: 'secret-token-of-20ch',
    });
    expect(config.llm.fallbacks).toEqual(['ollama', 'cursor']);
    expect(config.http.port).toBe(9090);
    expect(config.http.corsAllowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.http.authToken).toBe('secret-token-of-20ch');
  });

  it('never puts a secret value in its error message', () => {
    try {
      loadConfig({ OPENROUTER_API_KEY: 'sk-or-very-secret', GATEWAY_PORT: 'x' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(String(error)).not.toContain('sk-or-very-secret');
    }
  });
});

describe('operations settings', () => {
  it('default to a 30 s shutdown bound and a worker metrics port on 127.0.0.1:9464', () => {
    expect(loadConfig(mockEnv).operations).toEqual({ shutdownTimeoutMs: 30_000, workerMetricsPort: 9464, workerMetricsHost: '127.0.0.1' });
    expect(loadConfig({ ...mockEnv, WORKER_METRICS_PORT: '0' }).operations.workerMetricsPort).toBe(0);
  });
  it.each([
    [{ ...mockEnv, WORKER_METRICS_PORT: 'metrics' }, 'WORKER_METRICS_PORT'],
    [{ ...mockEnv, SHUTDOWN_TIMEOUT_MS: '0' }, 'SHUTDOWN_TIMEOUT_MS'],
  ])('rejects %j naming %s', (environment, variable) => {
    expect(() => loadConfig(environment)).toThrow(variable);
  });
});

describe('secretValues', () => {
  it('lists the tokens and the password in REDIS_URL (as written and decoded); the providers list their own keys', () => {
    const config = loadConfig({
      OPENROUTER_API_KEY: 'sk-or-secret-1',
      GATEWAY_AUTH_TOKEN: 'gw-token-0123456789',
      REDIS_URL: 'redis://gw:p%40ss-word-9@cache:6379',
    });
    expect(secretValues(config)).toEqual(['gw-token-0123456789', 'p%40ss-word-9', 'p@ss-word-9']);
    expect(secretValues(loadConfig({ LLM_PROVIDER: 'mock' }))).toEqual([]);
  });

  it('lists the Cursor adapter’s own token and the Cursor key', () => {
    const token = 'adapter-token-0123456789';
    expect(cursorAdapterSecretValues(loadCursorAdapterConfig({ CURSOR_ADAPTER_TOKEN: token, CURSOR_API_KEY: 'crsr-key-0123456789' }))).toEqual([
      token,
      'crsr-key-0123456789',
    ]);
    expect(cursorAdapterSecretValues(loadCursorAdapterConfig({ CURSOR_ADAPTER_TOKEN: token }))).toEqual([token]);
  });
});

describe('groups', () => {
  it('put each setting with what it governs: lanes with the worker, provider pacing and pricing apart from the limits', () => {
    const config = loadConfig({
      ...mockEnv,
      WORKER_CONCURRENCY: '7',
      WORKER_BATCH_CONCURRENCY: '3',
      PROVIDER_RPM: 'ollama=5',
      PROVIDER_MAX_PAUSE_MS: '5000',
      PROVIDER_INTERACTIVE_RESERVE: '0.5',
      LLM_PRICING_FILE: '/etc/prices.json',
      PRICING_REFRESH_MS: '0',
    });
    expect(config.worker).toMatchObject({ concurrency: 7, jobConcurrency: 7, batchConcurrency: 3 });
    expect(config.pacing).toEqual({ rpm: { ollama: 5 }, maxPauseMs: 5000, interactiveReserve: 0.5 });
    expect(config.pricing).toEqual({ file: '/etc/prices.json', refreshMs: 0 });
    expect(Object.keys(config.jobs)).not.toContain('concurrency');
    expect(Object.keys(config.limits)).not.toContain('providerRpm');
  });

  it('give each lane WORKER_CONCURRENCY slots unless set, and refuse a lane without any', () => {
    expect(loadConfig({ ...mockEnv, WORKER_CONCURRENCY: '9', WORKER_JOB_CONCURRENCY: '2' }).worker).toMatchObject({
      concurrency: 9,
      jobConcurrency: 2,
      batchConcurrency: 9,
    });
    expect(() => loadConfig({ ...mockEnv, WORKER_BATCH_CONCURRENCY: '0' })).toThrow(/WORKER_BATCH_CONCURRENCY/);
  });

  it('derive the values that combine variables: Host names from GATEWAY_HOST, models from LLM_DEFAULT_MODEL', () => {
    expect(loadConfig({ ...mockEnv, GATEWAY_HOST: '::1' }).http.allowedHosts).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(loadConfig({ ...mockEnv, GATEWAY_HOST: '::1', API_ALLOWED_HOSTS: 'Gateway.internal' }).http.allowedHosts).toEqual(['gateway.internal']);
    expect(loadConfig({ ...mockEnv, GATEWAY_HOST: '0.0.0.0' }).http.allowedHosts).toEqual([]);
    expect(loadConfig({ ...mockEnv, LLM_DEFAULT_MODEL: 'mock/a' }).models).toEqual(['mock/a']);
    expect(loadConfig({ ...mockEnv, GATEWAY_MODELS: 'mock/a, mock/b' }).models).toEqual(['mock/a', 'mock/b']);
  });
});
