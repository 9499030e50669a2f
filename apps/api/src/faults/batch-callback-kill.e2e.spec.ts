import { callbackKillLockMs, postJson, startRedisFreezeProxy, useCallbackKillSuite, waitFor } from '@gateway/testing';

// A worker killed between ending a batch's last request and making the batch's callback: the delivery is recorded
// in Redis when the batch is created, so the restarted worker makes it. The kill lands in that window
// deterministically: the doomed worker talks to Redis through a proxy that lets the script ending the last request
// through, then nothing else.
const SECRET = 'batch-callback-kill-secret';
jest.setTimeout(90_000);

const suite = useCallbackKillSuite('batchcbkill', SECRET);
const { redis, receiver, api, prefix, workers, holdFirst, startWorker, kill, deliveries, delivered, signedBody } = suite;
const lockMs = callbackKillLockMs;

/** A batch of a quick request and a slow one (it ends last), called back at `path`. */
async function submitBatch(path: string, slowModel: string): Promise<string> {
  const { status, body } = await postJson(`${api.baseUrl}/v1/batches`, {
    requests: [
      { custom_id: 'quick', agent_id: 'batches', model: 'mock/x?reply=quick', messages: [{ role: 'user', content: 'one' }] },
      { custom_id: 'slow', agent_id: 'batches', model: slowModel, messages: [{ role: 'user', content: 'two' }] },
    ],
    callback_url: `${receiver.url}${path}`,
  });
  if (status !== 202) throw new Error(`POST /v1/batches answered ${status}: ${JSON.stringify(body)}`);
  return (body as { batch_id: string }).batch_id;
}

async function batchDone(batchId: string): Promise<boolean> {
  const response = await fetch(`${api.baseUrl}/v1/batches/${batchId}`);
  return response.status === 200 && ((await response.json()) as { done: boolean }).done;
}

describe('a worker killed between ending a batch’s last request and its callback', () => {
  it('has the batch’s callback delivered by the restarted worker, signed', async () => {
    for (const worker of workers) await kill(worker);
    const proxy = await startRedisFreezeProxy(redis.url);
    let batchId: string;
    let dropped: number;
    try {
      const doomed = await startWorker(proxy.url);
      batchId = await submitBatch('/ended', 'mock/x?latency=1500&reply=slow');
      // The script that ends the slow request (the batch's last) reaches Redis; nothing the worker sends after it does.
      await proxy.freezeAfter([`${prefix}:chat-batch:completed`, `${prefix}:chat-batch:${batchId}-1`]);
      expect(await waitFor(async () => ((await batchDone(batchId)) ? true : undefined), 10_000, 50)).toBe(true);
      // What the worker does after the request's end has time to be sent (and dropped) before the kill.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await kill(doomed);
      dropped = proxy.dropped();
      expect(dropped).toBeGreaterThan(0);
      expect(deliveries('/ended')).toHaveLength(0);
    } finally {
      await proxy.close();
    }
    const restartedAt = Date.now();
    await startWorker(redis.url);
    const [delivery] = await delivered('/ended');
    console.log(`[batch callback kill] ${dropped} commands dropped by the freeze; delivered ${Date.now() - restartedAt} ms after the restart`);
    expect(delivery!.body).toMatchObject({ batch_id: batchId, status: 'completed', done: true, counts: { completed: 2 } });
    expect(signedBody(delivery!)).toBe(true);
    // Delivered once.
    await new Promise((resolve) => setTimeout(resolve, 2 * lockMs));
    expect(deliveries('/ended')).toHaveLength(1);
  });
});

describe('a worker killed while delivering a batch’s callback', () => {
  it('has the delivery made again by another worker, with the same body, once answered', async () => {
    for (const worker of workers) await kill(worker);
    holdFirst.add('/held');
    const first = await startWorker(redis.url);
    const batchId = await submitBatch('/held', 'mock/x?latency=200&reply=slow');
    await delivered('/held');
    await kill(first);
    await startWorker(redis.url);
    const [cut, again] = await delivered('/held', 2);
    expect(again!.body).toEqual(cut!.body);
    expect(again!.body).toMatchObject({ batch_id: batchId, status: 'completed', done: true });
    expect(signedBody(again!)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 3 * lockMs));
    expect(deliveries('/held')).toHaveLength(2);
  });
});
