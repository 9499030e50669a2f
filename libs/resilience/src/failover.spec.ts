import { GatewayError } from '@gateway/contracts';
import { withFailover, type PlannedAttempt } from './failover';
import { modelFor, planAttempts } from './plan';

const plan: PlannedAttempt[] = [
  { provider: 'openrouter', model: 'm' },
  { provider: 'ollama', model: 'm' },
  { provider: 'mock', model: 'm' },
];
async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (caught: unknown) => caught as GatewayError,
  );
}

const retryable = (status: number) => new GatewayError('upstream_error', `HTTP ${status}`, { recovery: 'failover', upstreamStatus: status });

describe('withFailover', () => {
  it('returns the first success and the failures before it', async () => {
    const outcome = await withFailover(plan, async (attempt) => {
      if (attempt.provider === 'openrouter') throw retryable(503);
      return attempt.provider;
    });
    expect(outcome).toEqual({ value: 'ollama', provider: 'ollama', failures: [{ provider: 'openrouter', status: 503, reason: 'HTTP 503' }] });
  });

  it('goes on past a provider that lacks the model, and answers its error when none has it', async () => {
    const missing = (provider: string) =>
      new GatewayError('invalid_request', `${provider}: model not found`, { recovery: 'failover-uncounted', upstreamStatus: 404 });
    const served = await withFailover(plan, async (attempt) => {
      if (attempt.provider === 'ollama') throw missing('ollama');
      if (attempt.provider === 'openrouter') throw retryable(503);
      return attempt.provider;
    });
    expect(served.provider).toBe('mock');
    expect(served.failures.map((failed) => failed.provider)).toEqual(['openrouter', 'ollama']);

    const error = await failure(
      withFailover([plan[1]!], async () => {
        throw missing('ollama');
      }),
    );
    expect(error).toMatchObject({ type: 'invalid_request', message: 'ollama: model not found' });
    expect(error.details.attempts).toEqual([{ provider: 'ollama', status: 404, reason: 'ollama: model not found' }]);

    // Missing here, down there: the 502 of every provider failing.
    const mixed = await failure(
      withFailover(plan.slice(0, 2), async (attempt) => {
        throw attempt.provider === 'ollama' ? missing('ollama') : retryable(503);
      }),
    );
    expect(mixed.type).toBe('upstream_error');
  });

  it('does not fail over on a non-retryable error', async () => {
    const calls: string[] = [];
    const error = await failure(
      withFailover(plan, async (attempt) => {
        calls.push(attempt.provider);
        throw new GatewayError('invalid_request', 'bad model', { recovery: 'final', upstreamStatus: 400 });
      }),
    );
    expect(calls).toEqual(['openrouter']);
    expect(error.type).toBe('invalid_request');
    expect(error.details.attempts).toEqual([{ provider: 'openrouter', status: 400, reason: 'bad model' }]);
  });

  it('lists every attempt when all fail', async () => {
    const error = await failure(
      withFailover(plan, async () => {
        throw retryable(500);
      }),
    );
    expect(error.type).toBe('upstream_error');
    expect(error.details.attempts).toHaveLength(3);
  });

  it('reports timeout when every failure was a timeout', async () => {
    const error = await failure(
      withFailover(plan.slice(0, 1), async () => {
        throw new GatewayError('timeout', 'slow', { recovery: 'failover' });
      }),
    );
    expect(error.type).toBe('timeout');
  });

  it('skips providers the hook refuses', async () => {
    const outcome = await withFailover(plan, async (attempt) => attempt.provider, { shouldTry: (attempt) => attempt.provider !== 'openrouter' });
    expect(outcome.provider).toBe('ollama');
    expect(outcome.failures).toEqual([{ provider: 'openrouter', status: null, reason: 'circuit open: skipped' }]);
  });
});

describe('planAttempts', () => {
  it('pins prefixed models to their provider', () => {
    expect(
      planAttempts({ provider: 'mock', upstreamModel: 'echo', pinned: true }, { primary: 'openrouter', fallbacks: ['ollama'], mockEnabled: true }),
    ).toEqual([{ provider: 'mock', model: 'echo' }]);
  });
  it('refuses mock/… unless the mock is the primary, a fallback or enabled', () => {
    const pinned = { provider: 'mock' as const, upstreamModel: 'echo', pinned: true };
    expect(() => planAttempts(pinned, { primary: 'openrouter', fallbacks: ['ollama'] })).toThrow(
      expect.objectContaining({ type: 'invalid_request', message: expect.stringContaining('not enabled') }),
    );
    expect(planAttempts(pinned, { primary: 'mock', fallbacks: [] })).toHaveLength(1);
    expect(planAttempts(pinned, { primary: 'openrouter', fallbacks: ['mock'] })).toHaveLength(1);
  });
  it('tries the primary then the fallbacks once each', () => {
    expect(
      planAttempts({ provider: 'openrouter', upstreamModel: 'x/y', pinned: false }, { primary: 'openrouter', fallbacks: ['ollama', 'openrouter', 'mock'] }).map(
        (attempt) => attempt.provider,
      ),
    ).toEqual(['openrouter', 'ollama', 'mock']);
  });
});

describe('modelFor / failoverChain models', () => {
  const defaults = { ollama: 'qwen2.5-coder:7b', cursor: 'auto', openai: 'gpt-4o-mini', anthropic: 'claude-3-5-haiku-latest' };
  it.each([
    ['openrouter', 'thudm/glm-4-9b-chat', false, 'thudm/glm-4-9b-chat'],
    ['mock', 'anthropic/claude-3.5-sonnet', false, 'anthropic/claude-3.5-sonnet'],
    ['anthropic', 'anthropic/claude-3.5-sonnet', false, 'claude-3.5-sonnet'],
    ['openai', 'openai/gpt-4o', false, 'gpt-4o'],
    ['openai', 'thudm/glm-4-9b-chat', false, 'gpt-4o-mini'],
    ['ollama', 'thudm/glm-4-9b-chat', false, 'qwen2.5-coder:7b'],
    ['ollama', 'llama3.2', true, 'llama3.2'],
    ['ollama', 'gpt-4o', false, 'qwen2.5-coder:7b'],
    ['cursor', 'anthropic/claude-3.5-sonnet', true, 'auto'],
  ] as const)('asks %s for %s (primary %s) as %s', (provider, requested, isPrimary, expected) => {
    expect(modelFor(provider, requested, isPrimary, defaults)).toBe(expected);
  });

  it('plans each fallback with the model it can serve', () => {
    const chain = { primary: 'openrouter' as const, fallbacks: ['ollama', 'anthropic'] as const, defaultModels: defaults };
    expect(planAttempts({ provider: 'openrouter', upstreamModel: 'anthropic/claude-3.5-sonnet', pinned: false }, chain)).toEqual([
      { provider: 'openrouter', model: 'anthropic/claude-3.5-sonnet' },
      { provider: 'ollama', model: 'qwen2.5-coder:7b' },
      { provider: 'anthropic', model: 'claude-3.5-sonnet' },
    ]);
  });
});
