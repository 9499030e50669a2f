import { GatewayError } from '@gateway/contracts';
import { withFailover, type PlannedAttempt } from './failover';
import { planAttempts } from './plan';

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

const retryable = (status: number) => new GatewayError('upstream_error', `HTTP ${status}`, { retryable: true, upstreamStatus: status });

describe('withFailover', () => {
  it('returns the first success and the failures before it', async () => {
    const outcome = await withFailover(plan, async (attempt) => {
      if (attempt.provider === 'openrouter') throw retryable(503);
      return attempt.provider;
    });
    expect(outcome).toEqual({ value: 'ollama', provider: 'ollama', failures: [{ provider: 'openrouter', status: 503, reason: 'HTTP 503' }] });
  });

  it('does not fail over on a non-retryable error', async () => {
    const calls: string[] = [];
    const error = await failure(withFailover(plan, async (attempt) => {
      calls.push(attempt.provider);
      throw new GatewayError('invalid_request', 'bad model', { retryable: false, upstreamStatus: 400 });
    }));
    expect(calls).toEqual(['openrouter']);
    expect(error.type).toBe('invalid_request');
    expect(error.details.attempts).toEqual([{ provider: 'openrouter', status: 400, reason: 'bad model' }]);
  });

  it('lists every attempt when all fail', async () => {
    const error = await failure(withFailover(plan, async () => {
      throw retryable(500);
    }));
    expect(error.type).toBe('upstream_error');
    expect(error.details.attempts).toHaveLength(3);
  });

  it('reports timeout when every failure was a timeout', async () => {
    const error = await failure(withFailover(plan.slice(0, 1), async () => {
      throw new GatewayError('timeout', 'slow', { retryable: true });
    }));
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
    expect(planAttempts({ provider: 'mock', upstreamModel: 'echo', pinned: true }, { primary: 'openrouter', fallbacks: ['ollama'] })).toEqual([{ provider: 'mock', model: 'echo' }]);
  });
  it('tries the primary then the fallbacks once each', () => {
    expect(planAttempts({ provider: 'openrouter', upstreamModel: 'x/y', pinned: false }, { primary: 'openrouter', fallbacks: ['ollama', 'openrouter', 'mock'] }).map((attempt) => attempt.provider)).toEqual([
      'openrouter',
      'ollama',
      'mock',
    ]);
  });
});
