import { Redis } from 'ioredis';
import { runSequential } from '../sequential';
import type { ScenarioContext } from './context';
import { laneQueueNames, type QueuePrefix } from '@gateway/queue';

/** Finished jobs of the lanes' queues (completed + failed): O(1) per poll. */
async function finishedJobs(redis: Redis, prefix: QueuePrefix): Promise<number> {
  const counts = await Promise.all(
    Object.values(laneQueueNames).flatMap((queue) => [redis.zcard(`${prefix}:${queue}:completed`), redis.zcard(`${prefix}:${queue}:failed`)]),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}

/**
 * Interactive latency while another tenant's batch drains, against idle: sequential `POST /v1/chat` calls (an
 * upstream answering in 20 ms) through the gateway, first alone, then while a 10,000-request batch of another agent
 * (200 ms per request, 2 workers × 64 slots, so about 15 s of drain) keeps every worker slot wanted.
 */
export async function lanesScenario(context: ScenarioContext, size = 10_000): Promise<void> {
  const gateway = await context.env.startGateway({
    apis: 1,
    workers: 2,
    env: { WORKER_CONCURRENCY: '64', BATCH_MAX_REQUESTS: String(size), WORKER_METRICS_PORT: '0' },
  });
  const redis = new Redis(context.env.redis.url);
  try {
    const url = gateway.urls[0]!;
    const interactive = { agent_id: 'bench-interactive', model: 'bench?latency=20', messages: [{ role: 'user', content: 'Say hello.' }] };
    const calls = Math.max(50, context.durationSeconds * 40);
    await runSequential(`${url}/v1/chat`, interactive, 50);
    const idle = await runSequential(`${url}/v1/chat`, interactive, calls);
    const requests = Array.from({ length: size }, (_, index) => ({
      agent_id: 'bench-batch-tenant',
      model: 'bench?latency=200',
      messages: [{ role: 'user', content: `item ${index}` }],
    }));
    const before = await finishedJobs(redis, gateway.prefix);
    const response = await fetch(`${url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(requests) });
    await response.arrayBuffer();
    if (response.status !== 202) throw new Error(`lanes: batch refused: HTTP ${response.status}`);
    // The drain is under way (every slot taken) before the interactive calls are timed.
    while ((await finishedJobs(redis, gateway.prefix)) < before + 500) await new Promise((resolve) => setTimeout(resolve, 20));
    const during = await runSequential(`${url}/v1/chat`, interactive, calls);
    const finishedAtEnd = (await finishedJobs(redis, gateway.prefix)) - before - during.count;
    const stillDraining = finishedAtEnd < size;
    context.log(
      `lanes: interactive idle p50 ${idle.p50.toFixed(1)} ms p99 ${idle.p99.toFixed(1)} ms; during the drain p50 ${during.p50.toFixed(1)} ms p99 ${during.p99.toFixed(1)} ms (batch ${finishedAtEnd}/${size} done at the end, errors ${idle.errors + during.errors})`,
    );
    const scenario = `lanes: interactive vs a ${size}-request batch of another tenant`;
    context.rows.push({ scenario, metric: 'interactive p50, idle', value: idle.p50, unit: 'ms' });
    context.rows.push({ scenario, metric: 'interactive p99, idle', value: idle.p99, unit: 'ms' });
    context.rows.push({ scenario, metric: 'interactive p50, during the drain', value: during.p50, unit: 'ms' });
    const ratio = during.p99 / idle.p99;
    context.rows.push({
      scenario,
      metric: 'interactive p99, during the drain',
      value: during.p99,
      unit: 'ms',
      target: `≤ 2× idle (${ratio.toFixed(2)}×)`,
      met: ratio <= 2 && stillDraining,
    });
    context.rows.push({
      scenario,
      metric: 'batch requests done while timed',
      value: finishedAtEnd,
      unit: '',
      note: stillDraining ? 'still draining at the end' : 'drained before the end: not a drain measurement',
    });
  } finally {
    redis.disconnect();
    await context.env.stopQuietly(gateway);
  }
}
