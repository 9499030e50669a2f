import type { RequestLogEntry, RequestLogRecord } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { limitsPrefix, type LimitsPrefix, type RedisClient } from '@gateway/queue';
import { limitKeys } from './keys';
import { matchesRequestFilter, type RequestLogFilter } from './request-log-filter';

export interface RequestLogOptions {
  redis: RedisClient;
  prefix: LimitsPrefix;
  /** REQUEST_LOG_MAX_ENTRIES: 0, no log. */
  maxEntries: number;
  /** REQUEST_LOG_MAX_AGE_SECONDS */
  maxAgeSeconds: number;
  clock?: () => number;
}

/** An entry to append inside another script (budget-settle-14.lua): the log's key, the entry, its bounds. */
export interface RequestLogAppend {
  key: string;
  entry: string;
  maxEntries: number;
  /** Entries older than this stream id go when the script trims by age. */
  minId: string;
}

/** A page's bounds: newest first, at most `limit`, older than the entry `after`, inside [since, until] (Unix ms). */
export interface RequestLogPageQuery extends RequestLogFilter {
  limit: number;
  after?: string | undefined;
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
}

/** Entries read per XREVRANGE while a filtered page fills. */
const SCAN_CHUNK = 500;

const streamIdPattern = /^\d{1,15}-\d{1,10}$/;

/** Whether a text is a request log entry's id (a stream id), for the `after` cursor. */
export function isRequestLogId(value: string): boolean {
  return streamIdPattern.test(value);
}

/**
 * The request log: one entry per finished request, in a Redis stream bounded by count (exactly, at each append) and by
 * age (trimmed now and then, and never read past). Settlement appends a completed request's entry in its own script
 * (`appendCall`); other ends (failures, cancels, refusals) append with one XADD.
 */
export function createRequestLog(options: RequestLogOptions) {
  const { redis, prefix, maxEntries } = options;
  const now = options.clock ?? Date.now;
  const key = limitKeys.requestLog(prefix);
  const oldestMs = () => Math.max(0, now() - options.maxAgeSeconds * 1000);

  const log = {
    enabled: maxEntries > 0,
    /** The entry as another script appends it; undefined when the log is off. */
    appendCall(record: RequestLogRecord): RequestLogAppend | undefined {
      if (!log.enabled) return undefined;
      return { key, entry: JSON.stringify(record), maxEntries, minId: String(oldestMs()) };
    },
    /** Appends one entry (one XADD); a no-op when the log is off. */
    async append(record: RequestLogRecord): Promise<void> {
      if (!log.enabled) return;
      await redis.xadd(key, 'MAXLEN', maxEntries, '*', 'e', JSON.stringify(record));
    },
    /** A page of entries, newest first; `hasMore` when older ones match too. Trims entries past their age first. */
    async page(query: RequestLogPageQuery): Promise<{ entries: RequestLogEntry[]; hasMore: boolean }> {
      if (!log.enabled) return { entries: [], hasMore: false };
      const oldest = oldestMs();
      await redis.xtrim(key, 'MINID', '~', oldest);
      const start = String(Math.max(oldest, query.sinceMs ?? 0));
      let end = query.after !== undefined ? `(${query.after}` : query.untilMs !== undefined ? String(query.untilMs) : '+';
      if (query.after !== undefined && query.untilMs !== undefined && Number(query.after.split('-')[0]) > query.untilMs) end = String(query.untilMs);
      const entries: RequestLogEntry[] = [];
      for (;;) {
        const chunk = (await redis.xrevrange(key, end, start, 'COUNT', SCAN_CHUNK)) as [string, string[]][];
        for (const [id, fields] of chunk) {
          const record = parseRecord(fields);
          if (!record || !matchesRequestFilter(record, query)) continue;
          if (entries.length === query.limit) return { entries, hasMore: true };
          entries.push({ object: 'request_log.entry', id, ...record });
        }
        const last = chunk[chunk.length - 1];
        if (chunk.length < SCAN_CHUNK || !last) return { entries, hasMore: false };
        end = `(${last[0]}`;
      }
    },
  };
  return log;
}

export type RequestLog = ReturnType<typeof createRequestLog>;

/** The request log as configured (REQUEST_LOG_MAX_ENTRIES, REQUEST_LOG_MAX_AGE_SECONDS), as every app builds it. */
export function createRequestLogFromConfig(redis: RedisClient, config: Pick<Config, 'queue' | 'requestLog'>): RequestLog {
  return createRequestLog({ redis, prefix: limitsPrefix(config), maxEntries: config.requestLog.maxEntries, maxAgeSeconds: config.requestLog.maxAgeSeconds });
}

/** An entry's record from its stream fields (`e`: JSON); undefined for anything else. */
function parseRecord(fields: readonly string[]): RequestLogRecord | undefined {
  const index = fields.indexOf('e');
  const text = index >= 0 ? fields[index + 1] : undefined;
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as RequestLogRecord;
  } catch {
    return undefined;
  }
}
