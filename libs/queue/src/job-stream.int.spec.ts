import { Redis } from 'ioredis';
import { startRedis, uniqueQueuePrefix, waitFor, type TestRedis } from '@gateway/testing';
import type { ReplyMessage } from '@gateway/contracts';
import { createChatQueue } from './chat-queue';
import { addStreamWatcher, appendStreamMessage, cancelUnwatchedStream, readStreamMessages, removeStreamWatcher, waitForStreamMessages } from './job-stream';
import { queueKeys } from './keys';
import { publishReply } from './reply-channel';

// The cost of keeping a resumable stream, measured against the stream that is not kept (PUBLISH only) and against
// the other place the chunks could live: the job itself (BullMQ's updateProgress with the text so far).
const chunkCount = 50;
const result = {
  content: 'x',
  model: 'm',
  provider: 'openrouter' as const,
  usage: { prompt_tokens: 10, completion_tokens: 50, total_tokens: 60 },
  cost_usd: 0.00001,
  finish_reason: 'stop',
};
const messagesOf = (jobId: string): ReplyMessage[] => [
  ...Array.from({ length: chunkCount }, (_, seq): ReplyMessage => ({
    kind: 'chunk',
    job_id: jobId,
    seq,
    text: ` word${seq}`,
    model: 'thudm/glm-4-9b-chat',
    provider: 'openrouter',
  })),
  { kind: 'stream-end', job_id: jobId, seq: chunkCount, result },
];
const limits = { maxMessages: 10_000, ttlSeconds: 3600 };

let redis: TestRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

/** Commands Redis ran (by name) while `work` ran: INFO commandstats before and after. */
async function commandsDuring(work: () => Promise<unknown>): Promise<Record<string, number>> {
  const read = async () =>
    Object.fromEntries([...(await client.info('commandstats')).matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)].map((match) => [match[1]!, Number(match[2])]));
  const before = await read();
  await work();
  const after = await read();
  const delta: Record<string, number> = {};
  // The INFO call itself is not the work's.
  for (const [name, calls] of Object.entries(after)) if (name !== 'info' && calls - (before[name] ?? 0) > 0) delta[name] = calls - (before[name] ?? 0);
  return delta;
}

describe('a resumable stream kept in a Redis stream', () => {
  it('costs one round trip per message like a PUBLISH (XADD, PEXPIRE and PUBLISH inside one script), and its size is measured', async () => {
    const prefix = uniqueQueuePrefix('measure');
    const plain = await commandsDuring(async () => {
      for (const message of messagesOf('plain')) await publishReply(client, prefix, 'instance', message);
    });
    expect(plain).toEqual({ publish: chunkCount + 1 });

    await appendStreamMessage(client, prefix, 'warm-up', messagesOf('warm-up')[0]!, limits, 'instance');
    const kept = await commandsDuring(async () => {
      for (const message of messagesOf('kept')) await appendStreamMessage(client, prefix, 'kept', message, limits, 'instance');
    });
    // Round trips from the worker: one EVALSHA per message, as many as PUBLISHes without resumption.
    expect(kept).toEqual({ evalsha: chunkCount + 1, xadd: chunkCount + 1, pexpire: chunkCount + 1, publish: chunkCount + 1 });
    const streamBytes = Number(await client.memory('USAGE', queueKeys.jobStream(prefix, 'kept'), 'SAMPLES', '0'));
    const ttl = await client.ttl(queueKeys.jobStream(prefix, 'kept'));
    expect(ttl).toBeGreaterThan(3500);

    // The alternative: the text so far kept in the job (BullMQ updateProgress per chunk).
    const queue = createChatQueue(client, prefix, { queue: { prefix, retentionSeconds: 3600 } });
    const job = await queue.add('chat', { request_id: 'r', model: 'm', messages: [{ role: 'user', content: 'hi' }], accepted_at: 0 }, { jobId: 'in-job' });
    const hashBefore = Number(await client.memory('USAGE', queue.toKey('in-job'), 'SAMPLES', '0'));
    const eventsBefore = Number(await client.memory('USAGE', queue.keys.events!, 'SAMPLES', '0'));
    let sofar = '';
    const inJob = await commandsDuring(async () => {
      for (const message of messagesOf('in-job')) {
        sofar += message.kind === 'chunk' ? message.text : '';
        await job.updateProgress({ text: sofar, seq: 'seq' in message ? message.seq : -1 });
      }
    });
    const hashGrowth = Number(await client.memory('USAGE', queue.toKey('in-job'), 'SAMPLES', '0')) - hashBefore;
    const eventsGrowth = Number(await client.memory('USAGE', queue.keys.events!, 'SAMPLES', '0')) - eventsBefore;
    await queue.close();

    // The figures of docs/ARCHITECTURE.md ("Resumable streams").
    process.stdout.write(
      `resumable stream of ${chunkCount} chunks + end: plain ${JSON.stringify(plain)}; kept ${JSON.stringify(kept)}, ${streamBytes} bytes (${Math.round(streamBytes / (chunkCount + 1))}/message); ` +
        `in the job ${JSON.stringify(inJob)}, job hash +${hashGrowth} bytes, events stream +${eventsGrowth} bytes\n`,
    );
    expect(streamBytes).toBeLessThan(64 * 1024);
  });
});

describe('reading and watching a kept stream', () => {
  it('reads every message after an entry, waits for new ones, and bounds the stream to MAXLEN (about)', async () => {
    const prefix = uniqueQueuePrefix('read');
    const messages = messagesOf('job');
    for (const message of messages.slice(0, 10)) await appendStreamMessage(client, prefix, 'job', message, limits);
    const all = await readStreamMessages(client, prefix, 'job');
    expect(all.map((kept) => kept.message)).toEqual(messages.slice(0, 10));
    const after = await readStreamMessages(client, prefix, 'job', all[4]!.entryId);
    expect(after.map((kept) => kept.message)).toEqual(messages.slice(5, 10));

    const blocking = new Redis(redis.url, { maxRetriesPerRequest: null });
    const waiting = waitForStreamMessages(blocking, prefix, 'job', all.at(-1)!.entryId, 5000);
    await appendStreamMessage(client, prefix, 'job', messages[10]!, limits);
    expect((await waiting).map((kept) => kept.message)).toEqual([messages[10]]);
    expect(await waitForStreamMessages(blocking, prefix, 'job', '$', 50)).toEqual([]);
    blocking.disconnect();

    for (let index = 0; index < 500; index += 1) await appendStreamMessage(client, prefix, 'long', messages[0]!, { maxMessages: 100, ttlSeconds: 60 });
    const length = await client.xlen(queueKeys.jobStream(prefix, 'long'));
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(300);
  });

  it("keeps (and publishes) a run's message only while that run holds the job's BullMQ lock", async () => {
    const prefix = uniqueQueuePrefix('fenced');
    const [first, second] = messagesOf('job');
    const lockKey = `${prefix}:chat:job:lock`;
    const subscriber = new Redis(redis.url, { maxRetriesPerRequest: null });
    const published: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => published.push(message));
    await subscriber.subscribe(queueKeys.replyChannel(prefix, 'instance'));
    await client.set(lockKey, 'run-1', 'PX', 60_000);
    expect(await appendStreamMessage(client, prefix, 'job', first!, limits, 'instance', 'run-1')).toBe(true);
    // The lock lapsed and the stalled check gave the job to another run: the first is refused, the holder is not.
    await client.set(lockKey, 'run-2', 'PX', 60_000);
    expect(await appendStreamMessage(client, prefix, 'job', second!, limits, 'instance', 'run-1')).toBe(false);
    expect(await appendStreamMessage(client, prefix, 'job', second!, limits, 'instance', 'run-2')).toBe(true);
    await client.del(lockKey);
    expect(await appendStreamMessage(client, prefix, 'job', second!, limits, 'instance', 'run-2')).toBe(false);
    expect((await readStreamMessages(client, prefix, 'job')).map((kept) => kept.message)).toEqual([first, second]);
    await waitFor(async () => (published.length >= 2 ? true : undefined), 2000);
    expect(published.map((message) => JSON.parse(message) as ReplyMessage)).toEqual([first, second]);
    subscriber.disconnect();
  });

  it('cancels a stream nobody watches once its last client left a grace ago, and never one still watched', async () => {
    const prefix = uniqueQueuePrefix('watch');
    const cancels: string[] = [];
    const subscriber = new Redis(redis.url, { maxRetriesPerRequest: null });
    subscriber.on('message', (_channel: string, jobId: string) => cancels.push(jobId));
    await subscriber.subscribe(queueKeys.cancelChannel(prefix));
    // 'left': its only client went away; 'watched': a second client still reads; 'back': its client left, another came and left later.
    for (const job of ['left', 'watched', 'back']) await addStreamWatcher(client, prefix, job, 'first', 60);
    await addStreamWatcher(client, prefix, 'watched', 'second', 60);
    for (const job of ['left', 'watched', 'back']) await removeStreamWatcher(client, prefix, job, 'first');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await addStreamWatcher(client, prefix, 'back', 'third', 60);
    await removeStreamWatcher(client, prefix, 'back', 'third');
    expect(await cancelUnwatchedStream(client, prefix, 'watched', 200)).toBe(false);
    expect(await cancelUnwatchedStream(client, prefix, 'back', 200)).toBe(false);
    expect(await cancelUnwatchedStream(client, prefix, 'left', 200)).toBe(true);
    expect(await cancelUnwatchedStream(client, prefix, 'left', 200)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The later leaver's own grace has passed now.
    expect(await cancelUnwatchedStream(client, prefix, 'back', 200)).toBe(true);
    await waitForCancels(cancels, 2);
    expect(cancels).toEqual(['left', 'back']);
    const watchersBytes = Number(await client.memory('USAGE', queueKeys.jobStreamWatchers(prefix, 'watched'), 'SAMPLES', '0'));
    process.stdout.write(`watchers hash of a stream with one client watching: ${watchersBytes} bytes\n`);
    subscriber.disconnect();
  });
});

async function waitForCancels(cancels: string[], count: number): Promise<void> {
  await waitFor(() => cancels.length >= count, 2000, 20);
}
