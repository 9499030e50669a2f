import { Cluster, Redis } from 'ioredis';
import type { ReplyMessage } from '@gateway/contracts';
import { createLogger } from '@gateway/observability';
import { appendStreamMessage, createRedisConnection, queueKeys, queuePrefixOf, type KeptMessage, type QueuePrefix, type RedisClient } from '@gateway/queue';
import { startRedis, startRedisCluster, uniquePrefix, uniqueQueuePrefix, waitFor, type TestRedis, type TestRedisCluster } from '@gateway/testing';
import { createStreamTailReader, type StreamTail } from './stream-tail-reader';

// The one reader of an API instance's attached streams, on a real Redis (and a real cluster).
const logger = createLogger({ name: 'api', level: 'silent' });
const limits = { maxMessages: 10_000, ttlSeconds: 600 };
const chunk = (jobId: string, seq: number): ReplyMessage => ({ kind: 'chunk', job_id: jobId, seq, text: `w${seq} `, model: 'm', provider: 'openrouter' });

let redis: TestRedis;
let command: Redis;
const opened: RedisClient[] = [];
beforeAll(async () => {
  redis = await startRedis();
  command = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  for (const connection of opened) connection.disconnect();
  command?.disconnect();
  await redis?.stop();
});

/** A reader on the suite's Redis; `connections` counts the blocking connections it opened. */
function readerOn(prefix: QueuePrefix, blockMs: number, client: RedisClient = command, connect?: () => RedisClient) {
  let connections = 0;
  const reader = createStreamTailReader({
    connect: () => {
      connections += 1;
      const connection = connect?.() ?? new Redis(redis.url, { maxRetriesPerRequest: null });
      opened.push(connection);
      return connection;
    },
    redis: client,
    prefix,
    instanceId: 'instance-1',
    logger,
    blockMs,
  });
  return { reader, connections: () => connections };
}

/** A client that records what it gets (seqs) and its error. */
function recordingTail(onMessages?: (kept: readonly KeptMessage[]) => void) {
  const seqs: number[] = [];
  const errors: unknown[] = [];
  const tail: StreamTail = {
    onMessages: (kept) => {
      for (const entry of kept) if (entry.message.kind === 'chunk') seqs.push(entry.message.seq);
      onMessages?.(kept);
    },
    onError: (error) => errors.push(error),
  };
  return { tail, seqs, errors };
}

const append = async (client: RedisClient, prefix: QueuePrefix, jobId: string, from: number, to: number) => {
  for (let seq = from; seq < to; seq += 1) await appendStreamMessage(client, prefix, jobId, chunk(jobId, seq), limits);
};
const entryIds = async (prefix: QueuePrefix, jobId: string) =>
  ((await command.xrange(queueKeys.jobStream(prefix, jobId), '-', '+')) as [string, string[]][]).map(([id]) => id);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index);

describe('the stream tail reader', () => {
  it('serves 40 clients of 5 streams through one connection, each everything after its cursor, in order, once', async () => {
    const prefix = uniqueQueuePrefix('tails');
    const { reader, connections } = readerOn(prefix, 2000);
    const jobs = range(0, 5).map((index) => `job-${index}`);
    await Promise.all(jobs.map((jobId) => append(command, prefix, jobId, 0, 10)));
    const clients = await Promise.all(
      range(0, 40).map(async (index) => {
        const jobId = jobs[index % 5]!;
        // Half attach from the start, half after the 5th kept entry (a resumed client).
        const from = index % 2 === 0 ? 0 : 5;
        const cursor = from === 0 ? '0-0' : (await entryIds(prefix, jobId))[from - 1]!;
        const client = recordingTail();
        reader.attach(jobId, cursor, client.tail);
        return { client, from };
      }),
    );
    await Promise.all(jobs.map((jobId) => append(command, prefix, jobId, 10, 30)));
    await waitFor(() => clients.every(({ client, from }) => client.seqs.length === 30 - from), 5000);
    for (const { client, from } of clients) {
      expect(client.seqs).toEqual(range(from, 30));
      expect(client.errors).toEqual([]);
    }
    expect(connections()).toBe(1);
    reader.close();
  });

  it('takes in a stream attached while its read waits at once (woken), not after the read times out', async () => {
    const prefix = uniqueQueuePrefix('tails-wake');
    const { reader } = readerOn(prefix, 20_000);
    const first = recordingTail();
    reader.attach('quiet', '0-0', first.tail);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = recordingTail();
    const started = Date.now();
    reader.attach('busy', '0-0', second.tail);
    await append(command, prefix, 'busy', 0, 3);
    await waitFor(() => second.seqs.length === 3, 3000);
    expect(Date.now() - started).toBeLessThan(3000);
    // A client of a stream already read, from an earlier entry than the others there, is woken for too.
    const early = recordingTail();
    reader.attach('busy', '0-0', early.tail);
    await waitFor(() => early.seqs.length === 3, 3000);
    expect(early.seqs).toEqual([0, 1, 2]);
    expect(second.seqs).toEqual([0, 1, 2]);
    reader.close();
  });

  it('detaches a client that fails (a slow reader ended by its relay, or one that throws) and goes on for the others', async () => {
    const prefix = uniqueQueuePrefix('tails-slow');
    const { reader } = readerOn(prefix, 2000);
    let detachSlow: () => void = () => undefined;
    const slow = recordingTail(() => detachSlow());
    const throwing = recordingTail(() => {
      throw new Error('client broke');
    });
    const steady = recordingTail();
    detachSlow = reader.attach('job', '0-0', slow.tail);
    reader.attach('job', '0-0', throwing.tail);
    reader.attach('job', '0-0', steady.tail);
    await append(command, prefix, 'job', 0, 1);
    await waitFor(() => steady.seqs.length === 1, 3000);
    await append(command, prefix, 'job', 1, 20);
    await waitFor(() => steady.seqs.length === 20, 3000);
    expect(steady.seqs).toEqual(range(0, 20));
    expect(slow.seqs).toEqual([0]);
    expect(throwing.seqs).toEqual([0]);
    expect(throwing.errors).toHaveLength(1);
    expect(reader.size()).toBe(1);
    reader.close();
  });

  it('ends every client with an error when the read fails (never silently)', async () => {
    const prefix = uniqueQueuePrefix('tails-error');
    const { reader } = readerOn(prefix, 2000);
    const clients = [recordingTail(), recordingTail()];
    reader.attach('a', '0-0', clients[0]!.tail);
    reader.attach('b', '0-0', clients[1]!.tail);
    // Not a stream: XREAD answers WRONGTYPE.
    await command.set(queueKeys.jobStream(prefix, 'c'), 'x');
    reader.attach('c', '0-0', recordingTail().tail);
    await waitFor(() => clients.every((client) => client.errors.length === 1), 3000);
    expect(reader.size()).toBe(0);
    // It reads again for clients that come later.
    const later = recordingTail();
    reader.attach('a', '0-0', later.tail);
    await append(command, prefix, 'a', 0, 2);
    await waitFor(() => later.seqs.length === 2, 3000);
    reader.close();
  });
});

describe('on a Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let clusterCommand: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    clusterCommand = createRedisConnection({ redis: { url: '', clusterNodes: cluster.nodes } }, 'blocking') as Cluster;
  }, 30_000);
  afterAll(async () => {
    clusterCommand?.disconnect();
    await cluster?.stop();
  });

  it('reads several streams and its wake in one XREAD under the prefix hash tag', async () => {
    const prefix = queuePrefixOf(`{${uniquePrefix('tails-cluster')}}`);
    const { reader, connections } = readerOn(prefix, 20_000, clusterCommand, () =>
      createRedisConnection({ redis: { url: '', clusterNodes: cluster.nodes } }, 'blocking'),
    );
    const first = recordingTail();
    reader.attach('one', '0-0', first.tail);
    await append(clusterCommand, prefix, 'one', 0, 2);
    await waitFor(() => first.seqs.length === 2, 5000);
    const second = recordingTail();
    reader.attach('two', '0-0', second.tail);
    await append(clusterCommand, prefix, 'two', 0, 3);
    await append(clusterCommand, prefix, 'one', 2, 4);
    await waitFor(() => second.seqs.length === 3 && first.seqs.length === 4, 5000);
    expect(first.seqs).toEqual([0, 1, 2, 3]);
    expect(second.seqs).toEqual([0, 1, 2]);
    expect(connections()).toBe(1);
    reader.close();
  }, 30_000);
});
