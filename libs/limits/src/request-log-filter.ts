import type { RequestLogRecord } from '@gateway/contracts';

/** What GET /admin/requests filters on: each given field must match (status: `429`, or a class such as `5xx`). */
export interface RequestLogFilter {
  keyId?: string | undefined;
  agentId?: string | undefined;
  model?: string | undefined;
  provider?: string | undefined;
  status?: string | undefined;
}

/** Whether a status filter is one the log can match: a status (`200`) or a class of them (`4xx`). */
export function isStatusFilter(value: string): boolean {
  return /^[1-5](\d\d|xx)$/i.test(value);
}

function statusMatches(status: number, filter: string): boolean {
  const lowered = filter.toLowerCase();
  return lowered.endsWith('xx') ? Math.floor(status / 100) === Number(lowered[0]) : status === Number(lowered);
}

/** Whether an entry passes the filter. */
export function matchesRequestFilter(entry: RequestLogRecord, filter: RequestLogFilter): boolean {
  return (
    (filter.keyId === undefined || entry.key_id === filter.keyId) &&
    (filter.agentId === undefined || entry.agent_id === filter.agentId) &&
    (filter.model === undefined || entry.model === filter.model) &&
    (filter.provider === undefined || entry.provider === filter.provider) &&
    (filter.status === undefined || statusMatches(entry.status, filter.status))
  );
}
