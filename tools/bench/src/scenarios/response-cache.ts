import { runLoad, type LoadResult } from '../load';
import { median, upstreamBody, type ScenarioContext } from './context';

const connections = 32;

/**
 * The response cache (RESPONSE_CACHE_TTL_SECONDS on) against the bench's 0 ms upstream, one API and one worker, in
 * alternating rounds: a hit (`X-Gateway-Cache: on`, the same request, answered from Redis by the API alone) against
 * a miss (`refresh`: the upstream called through the queue and worker, its answer written), throughput, p50 and
 * Redis commands per request.
 */
export async function responseCacheScenario(context: ScenarioContext): Promise<void> {
  const gateway = await context.env.startGateway({ apis: 1, workers: 1, env: { RESPONSE_CACHE_TTL_SECONDS: '600' } });
  try {
    const url = `${gateway.urls[0]}/v1/chat/completions`;
    const run = async (mode: 'on' | 'refresh'): Promise<LoadResult & { commands: number }> => {
      const before = await context.env.commandCount();
      const result = await runLoad({ url, body: upstreamBody, connections, durationSeconds: context.durationSeconds, headers: { 'x-gateway-cache': mode } });
      return { ...result, commands: ((await context.env.commandCount()) - before) / Math.max(1, result.requests) };
    };
    context.log('response cache: warm-up');
    await run('refresh');
    await run('on');
    const hits: (LoadResult & { commands: number })[] = [];
    const misses: (LoadResult & { commands: number })[] = [];
    for (let round = 0; round < 3; round += 1) {
      misses.push(await run('refresh'));
      hits.push(await run('on'));
    }
    const pick = (runs: readonly (LoadResult & { commands: number })[], field: 'rps' | 'p50' | 'commands') => median(runs.map((result) => result[field]));
    const [hitRps, missRps] = [pick(hits, 'rps'), pick(misses, 'rps')];
    context.log(
      `response cache: hit ${hitRps.toFixed(0)} req/s p50 ${pick(hits, 'p50')} ms ${pick(hits, 'commands').toFixed(1)} cmds/req; ` +
        `miss ${missRps.toFixed(0)} req/s p50 ${pick(misses, 'p50')} ms ${pick(misses, 'commands').toFixed(1)} cmds/req`,
    );
    context.rows.push(
      {
        scenario: 'response cache',
        metric: `hit throughput at ${connections} connections, req/s, median of 3 (baseline: a miss, 0 ms upstream, same run)`,
        value: hitRps,
        unit: '',
        baseline: missRps,
        ratio: hitRps / missRps,
        target: '≥ 2×',
        met: hitRps / missRps >= 2,
        goal: 'response-cache',
      },
      { scenario: 'response cache', metric: 'hit p50 latency (baseline: a miss)', value: pick(hits, 'p50'), unit: 'ms', baseline: pick(misses, 'p50') },
      {
        scenario: 'response cache',
        metric: 'Redis commands per hit (baseline: a miss)',
        value: pick(hits, 'commands'),
        unit: '',
        baseline: pick(misses, 'commands'),
        target: 'fewer',
        met: pick(hits, 'commands') < pick(misses, 'commands'),
      },
    );
  } finally {
    await context.env.stopQuietly(gateway);
  }
}
