import { GatewayError, type ChatJobResult } from '@gateway/contracts';
import { createResultWaiter, type JobOutcome } from './result-waiter';
import { createStreamHub, type StreamListener } from './stream-hub';

const result: ChatJobResult = {
  content: 'hi',
  model: 'm',
  provider: 'mock',
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  cost_usd: 0,
  finish_reason: 'stop',
};

/** A job store the lookups read: a job is missing until `put` (its enqueue) and pending until it is given an outcome. */
function jobStore() {
  const jobs = new Map<string, JobOutcome>();
  const lookups: string[] = [];
  return {
    lookups,
    put: (jobId: string, outcome: JobOutcome = { state: 'pending' }) => void jobs.set(jobId, outcome),
    lookup: async (jobId: string): Promise<JobOutcome> => {
      lookups.push(jobId);
      return jobs.get(jobId) ?? { state: 'missing' };
    },
  };
}

/** An enqueue the test lets finish when it wants to (the window in which a resubscribe can happen). */
function heldEnqueue(onEnqueue: () => void) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    enqueue: async () => {
      await released;
      onEnqueue();
    },
    release: () => release(),
  };
}

const settled = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('result waiter', () => {
  it('resolves with the reply delivered for the job', async () => {
    const store = jobStore();
    const waiter = createResultWaiter({ lookup: store.lookup });
    const answer = waiter.enqueueAndWait('job-1', 5000, async () => store.put('job-1'));
    await tick();
    waiter.deliver({ kind: 'result', job_id: 'job-1', result });
    await expect(answer).resolves.toEqual(result);
    expect(waiter.size()).toBe(0);
  });

  it('rejects with the enqueue error and stops waiting', async () => {
    const waiter = createResultWaiter({ lookup: jobStore().lookup });
    await expect(waiter.enqueueAndWait('job-1', 5000, async () => Promise.reject(new GatewayError('rate_limited', 'slow down')))).rejects.toMatchObject({
      type: 'rate_limited',
    });
    expect(waiter.size()).toBe(0);
  });

  it('times out with a timeout error and tells onTimeout', async () => {
    const timedOut: string[] = [];
    const waiter = createResultWaiter({ lookup: jobStore().lookup, onTimeout: (jobId) => timedOut.push(jobId) });
    await expect(waiter.enqueueAndWait('job-1', 20, async () => undefined)).rejects.toMatchObject({ type: 'timeout' });
    expect(timedOut).toEqual(['job-1']);
    expect(waiter.size()).toBe(0);
  });

  it('a sweep settles an enqueued job that finished, failed or was lost while the channel was down', async () => {
    const store = jobStore();
    const waiter = createResultWaiter({ lookup: store.lookup });
    const done = waiter.enqueueAndWait('done', 5000, async () => store.put('done'));
    const failed = waiter.enqueueAndWait('failed', 5000, async () => store.put('failed'));
    const lost = waiter.enqueueAndWait('lost', 5000, async () => undefined);
    const running = settled(waiter.enqueueAndWait('running', 200, async () => store.put('running')));
    await tick();
    store.put('done', { state: 'completed', result });
    store.put('failed', { state: 'failed', error: new GatewayError('upstream_error', 'boom') });
    await waiter.sweep();
    await expect(done).resolves.toEqual(result);
    await expect(failed).rejects.toMatchObject({ type: 'upstream_error' });
    await expect(lost).rejects.toMatchObject({ type: 'unavailable' });
    expect(await running).toMatchObject({ error: { type: 'timeout' } });
  });

  it('a sweep during the enqueue does not take the job for lost; it is looked up once the enqueue returns', async () => {
    const store = jobStore();
    const waiter = createResultWaiter({ lookup: store.lookup });
    // The job is not in Redis yet when the channel resubscribes; the worker runs it (its reply lost) before the enqueue returns.
    const held = heldEnqueue(() => store.put('job-1', { state: 'completed', result }));
    const answer = settled(waiter.enqueueAndWait('job-1', 5000, held.enqueue));
    await waiter.sweep();
    expect(store.lookups).toEqual([]);
    held.release();
    expect(await answer).toEqual({ value: result });
    expect(store.lookups).toEqual(['job-1']);
  });

  it('a job enqueued with no sweep meanwhile is not looked up', async () => {
    const store = jobStore();
    const waiter = createResultWaiter({ lookup: store.lookup });
    const answer = waiter.enqueueAndWait('job-1', 5000, async () => store.put('job-1'));
    await tick();
    await tick();
    waiter.deliver({ kind: 'result', job_id: 'job-1', result });
    await answer;
    expect(store.lookups).toEqual([]);
  });
});

describe('stream hub', () => {
  function listener() {
    const outcomes: JobOutcome[] = [];
    const it: StreamListener = { onMessage: () => undefined, onResubscribed: (outcome) => outcomes.push(outcome) };
    return { listener: it, outcomes };
  }

  it('a sweep tells an enqueued stream how its job stands', async () => {
    const store = jobStore();
    const hub = createStreamHub({ lookup: store.lookup });
    const { listener: relay, outcomes } = listener();
    await hub.listen('job-1', relay, async () => store.put('job-1'));
    await hub.sweep();
    expect(outcomes).toEqual([{ state: 'pending' }]);
  });

  it('a sweep during the enqueue waits for it, then tells the stream', async () => {
    const store = jobStore();
    const hub = createStreamHub({ lookup: store.lookup });
    const { listener: relay, outcomes } = listener();
    const held = heldEnqueue(() => store.put('job-1', { state: 'completed', result }));
    const listening = hub.listen('job-1', relay, held.enqueue);
    await hub.sweep();
    expect(outcomes).toEqual([]);
    held.release();
    await listening;
    await tick();
    expect(outcomes).toEqual([{ state: 'completed', result }]);
  });

  it('a stream forgotten before its enqueue returned is not looked up', async () => {
    const store = jobStore();
    const hub = createStreamHub({ lookup: store.lookup });
    const held = heldEnqueue(() => store.put('job-1'));
    const listening = hub.listen('job-1', listener().listener, held.enqueue);
    await hub.sweep();
    hub.forget('job-1');
    held.release();
    await listening;
    await tick();
    expect(store.lookups).toEqual([]);
  });
});
