import { queueNameOfJob } from '@gateway/queue';
import { callbackKillLockMs, jobView, postJson, startRedisFreezeProxy, useCallbackKillSuite, waitFor, type RedisFreezeProxy } from '@gateway/testing';

// A worker killed between finishing a job and delivering its callback: the delivery is recorded in Redis before the
// job ends, so another worker (or the restarted one) makes it. The kill lands in that window deterministically: the
// doomed worker talks to Redis through a proxy that lets the script finishing the job through, then nothing else.
const SECRET = 'callback-kill-secret';
jest.setTimeout(90_000);

const suite = useCallbackKillSuite('cbkill', SECRET);
const { redis, receiver, api, prefix, workers, holdFirst, startWorker, kill, deliveries, delivered, signedBody } = suite;
const lockMs = callbackKillLockMs;

async function submit(model: string, path: string): Promise<string> {
  const { status, body } = await postJson(`${api.baseUrl}/v1/jobs`, {
    agent_id: 'callbacks',
    model,
    messages: [{ role: 'user', content: 'call me back' }],
    callback_url: `${receiver.url}${path}`,
  });
  if (status !== 202) throw new Error(`POST /v1/jobs answered ${status}: ${JSON.stringify(body)}`);
  return (body as { job_id: string }).job_id;
}

/**
 * Runs a job on the only worker, one whose Redis traffic freezes right after the script that ends the job, then
 * SIGKILLs it. Returns the job id and how many of the worker's commands the freeze kept from Redis.
 */
async function finishThenKill(model: string, path: string, finishedSet: 'completed' | 'failed'): Promise<{ jobId: string; dropped: number }> {
  for (const worker of workers) await kill(worker);
  const proxy: RedisFreezeProxy = await startRedisFreezeProxy(redis.url);
  try {
    const doomed = await startWorker(proxy.url);
    const jobId = await submit(model, path);
    const queue = `${prefix}:${queueNameOfJob(jobId)}`;
    await proxy.freezeAfter([`${queue}:${finishedSet}`, `${queue}:${jobId}`]);
    const finished = await waitFor(async () => ((await jobView(api.baseUrl, jobId))?.status === finishedSet ? true : undefined), 10_000, 50);
    expect(finished).toBe(true);
    // What the worker does after the job's end has time to be sent (and dropped) before the kill.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await kill(doomed);
    expect(deliveries(path)).toHaveLength(0);
    return { jobId, dropped: proxy.dropped() };
  } finally {
    await proxy.close();
  }
}

describe('a worker killed between finishing a job and delivering its callback', () => {
  it('has the callback of a completed job delivered by the restarted worker, signed', async () => {
    const { jobId, dropped } = await finishThenKill('mock/x?latency=1500&reply=delivered', '/completed', 'completed');
    expect(dropped).toBeGreaterThan(0);
    await startWorker(redis.url);
    const [delivery] = await delivered('/completed');
    expect(delivery!.body).toMatchObject({ job_id: jobId, status: 'completed', result: { content: 'delivered', provider: 'mock' } });
    expect(signedBody(delivery!)).toBe(true);
  });

  it('has the callback of a failed job delivered too', async () => {
    const { jobId } = await finishThenKill('mock/x?latency=1500&fail=invalid_request', '/failed', 'failed');
    await startWorker(redis.url);
    const [delivery] = await delivered('/failed');
    expect(delivery!.body).toMatchObject({ job_id: jobId, status: 'failed', error: { type: 'invalid_request' } });
    expect(signedBody(delivery!)).toBe(true);
  });
});

describe('a worker killed while delivering a callback', () => {
  it('has the delivery made again by another worker, with the same body, once answered', async () => {
    for (const worker of workers) await kill(worker);
    holdFirst.add('/held');
    const first = await startWorker(redis.url);
    const jobId = await submit('mock/x?reply=held', '/held');
    await delivered('/held');
    await kill(first);
    await startWorker(redis.url);
    const [cut, again] = await delivered('/held', 2);
    expect(again!.body).toEqual(cut!.body);
    expect(again!.body).toMatchObject({ job_id: jobId, status: 'completed', result: { content: 'held' } });
    expect(signedBody(again!)).toBe(true);
    // Answered: no third delivery.
    await new Promise((resolve) => setTimeout(resolve, 3 * lockMs));
    expect(deliveries('/held')).toHaveLength(2);
  });
});
