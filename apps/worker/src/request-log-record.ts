import {
  chatParamsOf,
  isEmbeddingsJob,
  httpStatusByErrorType,
  type GatewayJobData,
  type ChatJobResult,
  type JobError,
  type RequestLogRecord,
} from '@gateway/contracts';
import { noTokenCounts, tokenCountsOf } from '@gateway/limits';
import { redactFields } from '@gateway/observability';

/** How a job ended, as the request log tells it. */
export interface JobEnd {
  jobId: string;
  data: GatewayJobData;
  /** When this worker took the job (Unix ms): the queue wait ends there. */
  startedAt: number;
  /** The answer, or what a call cut short consumed (then `error` says how it ended). */
  result?: ChatJobResult | undefined;
  /** Absent: the job completed. */
  error?: JobError | undefined;
  /** The provider last tried, when no result names it. */
  provider?: string | undefined;
  /** The deployment called last (the one that answered, or the last tried); absent: the provider's id stands for it. */
  deployment?: string | undefined;
  /** When the first token came (streams). */
  firstTokenAt?: number | undefined;
  traceId?: string | undefined;
  /** The job was answered from the response cache (no provider call). */
  fromCache?: boolean | undefined;
}

/** Text kept in an entry with REQUEST_LOG_BODIES=true: its fields redacted like a log line's, secrets scrubbed. */
export type BodyScrubber = (text: string) => string;

/**
 * A job's entry in the request log: everything but the route-specific body comes from the job's data and its end, so
 * every route that enqueues through the one enqueue path is logged alike. Bodies only when a scrubber is given.
 */
export function requestLogRecord(end: JobEnd, bodies?: BodyScrubber): RequestLogRecord {
  const { data, result, error } = end;
  const now = Date.now();
  const tokens = result ? tokenCountsOf(result.usage) : { ...noTokenCounts };
  const provider = result?.provider ?? end.provider ?? null;
  return {
    time: new Date(now).toISOString(),
    request_id: data.request_id,
    job_id: end.jobId,
    key_id: data.key_id ?? null,
    agent_id: data.agent_id ?? null,
    route: data.route ?? null,
    model: data.model,
    provider,
    deployment: end.deployment ?? provider,
    status: error ? httpStatusByErrorType[error.type] : 200,
    error_type: error?.type ?? null,
    latency_ms: Math.max(0, now - data.accepted_at),
    ttft_ms: end.firstTokenAt !== undefined ? Math.max(0, end.firstTokenAt - data.accepted_at) : null,
    queue_ms: Math.max(0, end.startedAt - data.accepted_at),
    tokens,
    cost_usd: result?.cost_usd ?? 0,
    cache: end.fromCache ? 'hit' : data.response_cache !== undefined ? 'miss' : 'bypass',
    ...(end.traceId !== undefined ? { trace_id: end.traceId } : {}),
    ...(bodies ? bodiesOf(data, result, bodies) : {}),
  };
}

function bodiesOf(data: GatewayJobData, result: ChatJobResult | undefined, scrub: BodyScrubber): Pick<RequestLogRecord, 'request' | 'response'> {
  const clean = (value: Record<string, unknown>) => JSON.parse(scrub(JSON.stringify(redactFields(value)))) as unknown;
  return {
    request: clean(isEmbeddingsJob(data) ? { input: data.embeddings.input } : { ...chatParamsOf(data) }),
    ...(result ? { response: clean({ content: result.content, ...(result.tool_calls ? { tool_calls: result.tool_calls } : {}) }) } : {}),
  };
}
