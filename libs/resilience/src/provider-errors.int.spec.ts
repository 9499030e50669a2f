import { GatewayError } from '@gateway/contracts';
import { createLogger } from '@gateway/observability';
import { uniqueQueuePrefix, useRedisSuite, waitFor } from '@gateway/testing';
import { createCircuitBreaker } from './circuit-breaker';
import { withFailover } from './failover';
import { createBreakerHooks } from './failover-hooks';
import { createProviderErrorLog, PROVIDER_ERRORS_KEPT } from './provider-errors';
import { createProviderStats } from './provider-stats';
import { resilienceKeys } from './keys';

const suite = useRedisSuite();
const logger = createLogger({ name: 'test', level: 'silent' });

function hooksWithErrors(scrub?: (text: string) => string) {
  const prefix = uniqueQueuePrefix('errors');
  const breaker = createCircuitBreaker({ redis: suite.client, prefix, failureThreshold: 3, resetTimeMs: 60_000, trialLeaseMs: 30_000 });
  const errors = createProviderErrorLog(suite.client, prefix, { scrub, clock: () => Date.UTC(2026, 11, 7, 10, 0, 0) });
  return { prefix, errors, hooks: createBreakerHooks({ breaker, stats: createProviderStats(suite.client, prefix), logger, errors }) };
}

const plan = [
  { provider: 'openrouter' as const, model: 'vendor/m', deployment: 'or-team-a' },
  { provider: 'mock' as const, model: 'm' },
];

describe('provider error log', () => {
  it("keeps the failures that count against a deployment's circuit, newest first, scrubbed, and not the request's own", async () => {
    const { errors, hooks } = hooksWithErrors((text) => text.replaceAll('sk-secret', '[redacted]'));
    let failure = 0;
    const call = async (attempt: { provider: string }) => {
      if (attempt.provider === 'mock') return 'ok';
      failure += 1;
      if (failure === 2) throw new GatewayError('invalid_request', 'bad request', { recovery: 'final', upstreamStatus: 400 });
      throw new GatewayError('upstream_error', `HTTP 503 #${failure} key sk-secret`, { recovery: 'failover', upstreamStatus: 503 });
    };
    await withFailover(plan, call, hooks);
    await expect(withFailover(plan, call, hooks)).rejects.toMatchObject({ type: 'invalid_request' });
    await withFailover(plan, call, hooks);
    const kept = await waitFor(async () => {
      const read = await errors.read(['or-team-a', 'mock']);
      return read['or-team-a']!.length === 2 ? read : undefined;
    });
    expect(kept['mock']).toEqual([]);
    expect(kept['or-team-a']).toEqual([
      {
        time: '2026-12-07T10:00:00.000Z',
        provider: 'openrouter',
        deployment: 'or-team-a',
        model: 'vendor/m',
        type: 'upstream_error',
        status: 503,
        message: 'HTTP 503 #3 key [redacted]',
      },
      expect.objectContaining({ message: 'HTTP 503 #1 key [redacted]' }),
    ]);
  });

  it('keeps only the last few, clips long messages and skips an entry it cannot read', async () => {
    const { prefix, errors } = hooksWithErrors();
    const attempt = { provider: 'openrouter' as const, model: 'm' };
    for (let index = 0; index < PROVIDER_ERRORS_KEPT + 3; index += 1) {
      await errors.record(attempt, new GatewayError('timeout', `${index}:${'x'.repeat(1000)}`, { recovery: 'failover' }));
    }
    await suite.client.rpush(resilienceKeys.providerErrors(prefix, 'openrouter'), 'not json');
    const read = (await errors.read(['openrouter']))['openrouter']!;
    expect(read).toHaveLength(PROVIDER_ERRORS_KEPT);
    expect(read[0]!.message.startsWith(`${PROVIDER_ERRORS_KEPT + 2}:`)).toBe(true);
    expect(read[0]!.message.length).toBeLessThanOrEqual(301);
    expect(read[0]!.status).toBeNull();
    expect(await suite.client.ttl(resilienceKeys.providerErrors(prefix, 'openrouter'))).toBeGreaterThan(0);
  });
});
