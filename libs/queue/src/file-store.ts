import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import { queueKeys } from './keys';
import type { QueuePrefix } from './prefixes';
import type { RedisClient } from './redis-connection';

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

/** What the gateway keeps about an uploaded file; its lines are in the file's data list (`createFileWriter`). */
export interface FileRecord {
  fileId: string;
  filename: string;
  /** Bytes as uploaded (what the caller's quota counts). */
  bytes: number;
  lines: number;
  /** The route every line names (`url`). */
  endpoint: string;
  createdAt: number;
  expiresAt: number;
  keyId?: string | undefined;
}

/**
 * Writes an uploaded file's content as it arrives: each chunk of whole lines is deflated (in libuv's pool, off the
 * event loop) and appended to the file's list, so the API never holds more than a chunk. `discard` drops what was
 * written (a file refused mid-way).
 */
export function createFileWriter(redis: RedisClient, prefix: QueuePrefix, fileId: string, ttlSeconds: number) {
  const key = queueKeys.fileData(prefix, fileId);
  let storedBytes = 0;
  return {
    async append(lines: Buffer): Promise<void> {
      const packed = await deflate(lines, { level: 6 });
      storedBytes += packed.length;
      await redis.multi().rpush(key, packed).expire(key, ttlSeconds).exec();
    },
    /** Bytes the content takes in Redis so far (deflated). */
    storedBytes: () => storedBytes,
    async discard(): Promise<void> {
      await redis.del(key);
    },
  };
}

/** Removes an owner's files past their lifetime from its list and quota (their keys expire by themselves). */
async function trimExpired(redis: RedisClient, prefix: QueuePrefix, owner: string, now: number): Promise<void> {
  const owned = queueKeys.filesOf(prefix, owner);
  const expired = await redis.zrangebyscore(owned, '-inf', `(${now}`);
  if (expired.length === 0) return;
  await redis
    .multi()
    .zrem(owned, ...expired)
    .hdel(queueKeys.fileBytesOf(prefix, owner), ...expired)
    .exec();
}

/** Bytes an owner's live files hold (what its storage quota counts). */
export async function fileBytesUsed(redis: RedisClient, prefix: QueuePrefix, owner: string | undefined, now = Date.now()): Promise<number> {
  await trimExpired(redis, prefix, owner ?? '', now);
  const sizes = await redis.hvals(queueKeys.fileBytesOf(prefix, owner ?? ''));
  return sizes.reduce((sum, size) => sum + Number(size), 0);
}

/** Stores a file's record once its content is written, and lists it among its owner's files (scored by expiry). */
export async function saveFile(redis: RedisClient, prefix: QueuePrefix, record: FileRecord, ttlSeconds: number): Promise<void> {
  const owner = record.keyId ?? '';
  const key = queueKeys.file(prefix, record.fileId);
  const owned = queueKeys.filesOf(prefix, owner);
  const bytesOf = queueKeys.fileBytesOf(prefix, owner);
  await redis
    .multi()
    .hset(key, {
      filename: record.filename,
      bytes: String(record.bytes),
      lines: String(record.lines),
      endpoint: record.endpoint,
      created_at: String(record.createdAt),
      expires_at: String(record.expiresAt),
      ...(record.keyId ? { key_id: record.keyId } : {}),
    })
    .expire(key, ttlSeconds)
    .expire(queueKeys.fileData(prefix, record.fileId), ttlSeconds)
    .zadd(owned, record.expiresAt, record.fileId)
    .expire(owned, ttlSeconds)
    .hset(bytesOf, record.fileId, String(record.bytes))
    .expire(bytesOf, ttlSeconds)
    .exec();
}

/** Loads a file's record, or undefined when unknown, deleted or past its lifetime. */
export async function loadFile(redis: RedisClient, prefix: QueuePrefix, fileId: string): Promise<FileRecord | undefined> {
  const [filename, bytes, lines, endpoint, createdAt, expiresAt, keyId] = await redis.hmget(
    queueKeys.file(prefix, fileId),
    'filename',
    'bytes',
    'lines',
    'endpoint',
    'created_at',
    'expires_at',
    'key_id',
  );
  if (!bytes) return undefined;
  return {
    fileId,
    filename: filename ?? '',
    bytes: Number(bytes),
    lines: Number(lines),
    endpoint: endpoint ?? '',
    createdAt: Number(createdAt),
    expiresAt: Number(expiresAt),
    ...(keyId ? { keyId } : {}),
  };
}

/** Deletes a file: its record, content, listing and quota share. */
export async function deleteFile(redis: RedisClient, prefix: QueuePrefix, fileId: string, keyId: string | undefined): Promise<void> {
  const owner = keyId ?? '';
  await redis
    .multi()
    .del(queueKeys.file(prefix, fileId), queueKeys.fileData(prefix, fileId))
    .zrem(queueKeys.filesOf(prefix, owner), fileId)
    .hdel(queueKeys.fileBytesOf(prefix, owner), fileId)
    .exec();
}

/** A page of an owner's file ids, newest first, after the file `after` (exclusive). */
export async function listFileIds(
  redis: RedisClient,
  prefix: QueuePrefix,
  keyId: string | undefined,
  options: { after?: string | undefined; limit: number; now?: number },
): Promise<{ ids: string[]; hasMore: boolean }> {
  const owner = keyId ?? '';
  await trimExpired(redis, prefix, owner, options.now ?? Date.now());
  const owned = queueKeys.filesOf(prefix, owner);
  let max = '+inf';
  if (options.after !== undefined) {
    const score = await redis.zscore(owned, options.after);
    if (score === null) return { ids: [], hasMore: false };
    max = `(${score}`;
  }
  const ids = await redis.zrevrangebyscore(owned, max, '-inf', 'LIMIT', 0, options.limit + 1);
  return { ids: ids.slice(0, options.limit), hasMore: ids.length > options.limit };
}

/** A file's content, chunk by chunk (each read, inflated and handed over before the next is read). */
export async function* readFileChunks(redis: RedisClient, prefix: QueuePrefix, fileId: string): AsyncGenerator<Buffer> {
  const key = queueKeys.fileData(prefix, fileId);
  for (let index = 0; ; index += 1) {
    const packed = await redis.lindexBuffer(key, index);
    if (packed === null) return;
    yield await inflate(packed);
  }
}
