import { Redis } from 'ioredis';
import { startRedis, uniqueQueuePrefix, type TestRedis } from '@gateway/testing';
import { queueKeys } from './keys';
import { deleteStoredRecord, readStoredRecord, saveStoredRecord } from './stored-records';

let redis: TestRedis;
let client: Redis;
// A second connection: writes racing from two API instances.
let other: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  other = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  client?.disconnect();
  other?.disconnect();
  await redis?.stop();
});

const place = { owner: 'key-1', ttlSeconds: 60, maxPerOwner: 3 };

describe('stored records', () => {
  it('stores a record with its lifetime and lists it under its owner', async () => {
    const prefix = uniqueQueuePrefix('records');
    expect(await saveStoredRecord(client, prefix, 'r1', '{"a":1}', place)).toBe(1);
    expect(await readStoredRecord(client, prefix, 'r1')).toBe('{"a":1}');
    const ttl = await client.pttl(queueKeys.storedRecord(prefix, 'r1'));
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await client.zrange(queueKeys.storedRecordsOf(prefix, 'key-1'), 0, -1)).toEqual(['r1']);
    expect(await client.pttl(queueKeys.storedRecordsOf(prefix, 'key-1'))).toBeGreaterThan(55_000);
  });

  it('refuses a record past the bound, per owner, and takes one again once one is deleted', async () => {
    const prefix = uniqueQueuePrefix('records');
    for (const [index, id] of ['a', 'b', 'c'].entries()) expect(await saveStoredRecord(client, prefix, id, '{}', place)).toBe(index + 1);
    expect(await saveStoredRecord(client, prefix, 'd', '{}', place)).toBeUndefined();
    expect(await readStoredRecord(client, prefix, 'd')).toBeUndefined();
    // Another owner has its own bound.
    expect(await saveStoredRecord(client, prefix, 'e', '{}', { ...place, owner: 'key-2' })).toBe(1);
    // The same id again (a retry) replaces the record whatever the count.
    expect(await saveStoredRecord(client, prefix, 'a', '{"again":true}', place)).toBe(3);
    expect(await readStoredRecord(client, prefix, 'a')).toBe('{"again":true}');
    expect(await deleteStoredRecord(client, prefix, 'b', 'key-1')).toBe(true);
    expect(await saveStoredRecord(client, prefix, 'd', '{}', place)).toBe(3);
  });

  it('does not count expired records', async () => {
    const prefix = uniqueQueuePrefix('records');
    const index = queueKeys.storedRecordsOf(prefix, 'key-1');
    await client.zadd(index, Date.now() - 1, 'old-1', Date.now() - 1, 'old-2', Date.now() - 1, 'old-3');
    expect(await saveStoredRecord(client, prefix, 'new', '{}', place)).toBe(1);
    expect(await client.zrange(index, 0, -1)).toEqual(['new']);
  });

  it('holds the bound against racing writes from two connections', async () => {
    const prefix = uniqueQueuePrefix('records');
    const bound = { ...place, maxPerOwner: 5 };
    const saves = await Promise.all(
      Array.from({ length: 40 }, (_, index) => saveStoredRecord(index % 2 === 0 ? client : other, prefix, `r${index}`, '{}', bound)),
    );
    expect(saves.filter((kept) => kept !== undefined).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await client.zcard(queueKeys.storedRecordsOf(prefix, 'key-1'))).toBe(5);
    const stored = await client.keys(`${queueKeys.storedRecord(prefix, '')}*`);
    expect(stored).toHaveLength(5);
  });
});
