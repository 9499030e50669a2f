import { Redis } from 'ioredis';
import { routeExists, type ScenarioContext } from './context';
import { laneQueueNames, type QueuePrefix } from '@gateway/queue';
import { fileBatchComparison, fileBatchLines } from './file-batch';

interface BatchView {
  counts: Record<string, number>;
  done: boolean;
}

/**
 * Jobs of the lanes' queues that are finished (completed or failed), read from the queue's own sorted sets: O(1)
 * per poll, so measuring does not slow the drain (GET /v1/batches/:id reads every job of the batch).
 */
async function finishedJobs(redis: Redis, prefix: QueuePrefix): Promise<number> {
  const counts = await Promise.all(
    Object.values(laneQueueNames).flatMap((queue) => [redis.zcard(`${prefix}:${queue}:completed`), redis.zcard(`${prefix}:${queue}:failed`)]),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}

/**
 * Enqueue a 10,000-request batch, then time its drain on the mock path with 1 and with 2 workers; with 1 worker, an
 * OpenAI batch from an uploaded file of `fileSize` lines against a native batch of as many (BENCH_FILE_BATCH_LINES).
 */
export async function batchScenario(context: ScenarioContext, size = 10_000, fileSize = fileBatchLines()): Promise<void> {
  for (const workers of [1, 2]) {
    const gateway = await context.env.startGateway({ apis: 1, workers, env: { BATCH_MAX_REQUESTS: String(Math.max(size, fileSize)) } });
    try {
      const url = `${gateway.urls[0]}/v1/batches`;
      if (!(await routeExists(url, []))) {
        context.log('batch: /v1/batches is not served: skipped');
        return;
      }
      const requests = Array.from({ length: size }, (_, index) => ({
        agent_id: 'bench-batch',
        model: 'mock/bench',
        messages: [{ role: 'user', content: `item ${index}` }],
      }));
      // Warm-up: a long-running API has its batch path compiled; a small batch does that, and is drained before the timing.
      const warmUp = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(requests.slice(0, 500)) });
      if (warmUp.status !== 202) throw new Error(`warm-up batch refused: HTTP ${warmUp.status}`);
      await warmUp.arrayBuffer();
      const redisForWarmUp = new Redis(context.env.redis.url);
      try {
        while ((await finishedJobs(redisForWarmUp, gateway.prefix)) < 500) await new Promise((resolve) => setTimeout(resolve, 10));
      } finally {
        redisForWarmUp.disconnect();
      }
      const body = JSON.stringify(requests);
      const started = performance.now();
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const accepted = (await response.json()) as { batch_id?: string };
      const enqueueSeconds = (performance.now() - started) / 1000;
      if (response.status !== 202 || !accepted.batch_id) throw new Error(`batch refused: HTTP ${response.status} ${JSON.stringify(accepted).slice(0, 200)}`);
      // Workers start on the first chunks while later ones are still going in: the drain rate counts only the jobs
      // left when the batch was accepted, over the time they took.
      const redis = new Redis(context.env.redis.url);
      let leftAtAcceptance = size;
      try {
        leftAtAcceptance = size + 500 - (await finishedJobs(redis, gateway.prefix));
        while ((await finishedJobs(redis, gateway.prefix)) < size + 500) await new Promise((resolve) => setTimeout(resolve, 10));
      } finally {
        redis.disconnect();
      }
      const drainSeconds = (performance.now() - started) / 1000 - enqueueSeconds;
      // The batch as its owner sees it, once: every job accounted for.
      const view = (await (await fetch(`${url}/${accepted.batch_id}`)).json()) as BatchView;
      if (!view.done) throw new Error(`batch not done after its jobs finished: ${JSON.stringify(view.counts)}`);
      const completed = view.counts['completed'] ?? 0;
      const rate = leftAtAcceptance / drainSeconds;
      context.log(
        `batch ${workers} worker(s): enqueue ${enqueueSeconds.toFixed(2)} s, then ${leftAtAcceptance} jobs left drained in ${drainSeconds.toFixed(2)} s (${rate.toFixed(0)} jobs/s), counts ${JSON.stringify(view.counts)}`,
      );
      const scenario = `batch ${size}, ${workers} worker${workers > 1 ? 's' : ''}`;
      if (workers === 1)
        context.rows.push({ scenario, metric: 'enqueue time (POST /v1/batches)', value: enqueueSeconds, unit: 's', target: '< 1 s', met: enqueueSeconds < 1 });
      context.rows.push({
        scenario,
        metric: 'drain rate, mock path',
        value: rate,
        unit: 'jobs/s',
        ...(workers === 1 ? { target: '≥ 4000', met: rate >= 4000 } : { note: 'vs 1 worker in the row above' }),
      });
      context.rows.push({ scenario, metric: 'completed', value: completed, unit: '', target: `${size}`, met: completed === size });
      if (workers === 1 && fileSize > 0) await fileBatchComparison(context, gateway.urls[0]!, fileSize, gateway.pids()['api1']);
    } finally {
      await context.env.stopQuietly(gateway);
    }
  }
}
