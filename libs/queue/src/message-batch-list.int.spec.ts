import { Redis } from 'ioredis';
import { startRedis, uniqueQueuePrefix, type TestRedis } from '@gateway/testing';
import { deleteBatch, listBatchIds, listMessageBatchIds, MESSAGE_BATCH_ENDPOINT, saveBatch, type BatchRecord } from './batch-store';

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

const record = (batchId: string, createdAt: number, endpoint?: string): BatchRecord => ({
  batchId,
  total: 1,
  createdAt,
  customIds: [''],
  keyId: 'key_aaaaaaaaaaaaaaaa',
  ...(endpoint ? { endpoint } : {}),
});

describe('listMessageBatchIds', () => {
  it("pages an owner's Message Batches newest first by rank, ties in one millisecond included, apart from its other batches", async () => {
    const prefix = uniqueQueuePrefix('message-batches');
    const now = Date.now();
    // b0 oldest … b6 newest; b2, b3 and b4 made in the same millisecond.
    const times = [now, now + 1, now + 2, now + 2, now + 2, now + 3, now + 4];
    for (const [index, createdAt] of times.entries()) await saveBatch(client, prefix, record(`b${index}`, createdAt, MESSAGE_BATCH_ENDPOINT), 60);
    await saveBatch(client, prefix, record('openai', now + 5), 60);
    const owner = 'key_aaaaaaaaaaaaaaaa';

    const pages: string[][] = [];
    let afterId: string | undefined;
    for (;;) {
      const page = await listMessageBatchIds(client, prefix, owner, { afterId, limit: 2 });
      pages.push(page.ids);
      if (!page.hasMore) break;
      afterId = page.ids.at(-1);
    }
    const all = pages.flat();
    expect(all).toHaveLength(7);
    expect(new Set(all).size).toBe(7);
    expect(all[0]).toBe('b6');
    expect(all.at(-1)).toBe('b0');
    expect(pages.map((page) => page.length)).toEqual([2, 2, 2, 1]);
    // The other batches are listed apart.
    expect((await listBatchIds(client, prefix, owner, { limit: 10 })).ids).toEqual(['openai']);

    // Back towards the newest: the page just before a cursor, in the same order.
    const before = await listMessageBatchIds(client, prefix, owner, { beforeId: all[4], limit: 2 });
    expect(before).toEqual({ ids: [all[2], all[3]], hasMore: true });
    expect(await listMessageBatchIds(client, prefix, owner, { beforeId: all[1], limit: 5 })).toEqual({ ids: [all[0]], hasMore: false });
    expect(await listMessageBatchIds(client, prefix, owner, { beforeId: all[0], limit: 5 })).toEqual({ ids: [], hasMore: false });
    // An unknown cursor, another owner: nothing.
    expect(await listMessageBatchIds(client, prefix, owner, { afterId: 'gone', limit: 5 })).toEqual({ ids: [], hasMore: false });
    expect(await listMessageBatchIds(client, prefix, 'key_bbbbbbbbbbbbbbbb', { limit: 5 })).toEqual({ ids: [], hasMore: false });

    // A deleted batch leaves the list.
    await deleteBatch(client, prefix, record('b6', times[6]!, MESSAGE_BATCH_ENDPOINT));
    expect((await listMessageBatchIds(client, prefix, owner, { limit: 1 })).ids).toEqual(['b5']);
  });
});

describe('listBatchIds', () => {
  it("pages an owner's batches newest first by rank: batches made in one millisecond neither repeat nor go missing", async () => {
    const prefix = uniqueQueuePrefix('batches');
    const now = Date.now();
    // o0 oldest … o5 newest; o1 to o4 made in the same millisecond, so a page boundary falls among them.
    const times = [now, now + 1, now + 1, now + 1, now + 1, now + 2];
    for (const [index, createdAt] of times.entries()) await saveBatch(client, prefix, record(`o${index}`, createdAt), 60);
    const owner = 'key_aaaaaaaaaaaaaaaa';
    const pages: string[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = await listBatchIds(client, prefix, owner, { after, limit: 2 });
      pages.push(page.ids);
      if (!page.hasMore) break;
      after = page.ids.at(-1);
    }
    expect(pages.map((page) => page.length)).toEqual([2, 2, 2]);
    const all = pages.flat();
    expect(new Set(all).size).toBe(6);
    expect(all[0]).toBe('o5');
    expect(all.at(-1)).toBe('o0');
    expect(await listBatchIds(client, prefix, owner, { after: 'gone', limit: 5 })).toEqual({ ids: [], hasMore: false });
    expect(await listBatchIds(client, prefix, 'key_bbbbbbbbbbbbbbbb', { limit: 5 })).toEqual({ ids: [], hasMore: false });
  });
});
