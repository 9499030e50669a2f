import { batchItemSchema, batchMaxCostSchema, fromOpenAiRequest, openAiBatchLineSchema, invalidRequest, type ChatRequest } from '@gateway/contracts';

/** One parsed request of a batch. */
export interface ParsedBatchItem {
  customId: string | undefined;
  request: ChatRequest;
}

function isOpenAiLine(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'body' in value && 'custom_id' in value;
}

/** Splits a JSONL body into values; names the first line that is not JSON. */
function parseJsonLines(text: string): unknown[] {
  const values: unknown[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      values.push(JSON.parse(line));
    } catch {
      throw invalidRequest(`line ${index + 1} is not valid JSON`);
    }
  }
  return values;
}

/**
 * Reads a batch body: a JSON array (or `{"requests": [...]}`) of chat requests with optional `custom_id`, or
 * JSONL whose lines are chat requests or OpenAI batch input lines (`{custom_id, method, url, body}`).
 */
export function parseBatchBody(body: unknown, maxRequests: number): ParsedBatchItem[] {
  let values: unknown[];
  if (typeof body === 'string') values = parseJsonLines(body);
  else if (Array.isArray(body)) values = body;
  else if (typeof body === 'object' && body !== null && Array.isArray((body as { requests?: unknown }).requests)) values = (body as { requests: unknown[] }).requests;
  else throw invalidRequest('a batch is a JSON array of requests, {"requests": [...]}, or JSONL (Content-Type: application/jsonl)');
  if (values.length === 0) throw invalidRequest('the batch holds no requests');
  if (values.length > maxRequests) throw invalidRequest(`a batch holds at most ${maxRequests} requests (got ${values.length})`);

  const items: ParsedBatchItem[] = [];
  const problems: string[] = [];
  values.forEach((value, index) => {
    if (problems.length >= 5) return;
    if (isOpenAiLine(value)) {
      const parsed = openAiBatchLineSchema.safeParse(value);
      if (parsed.success) items.push({ customId: parsed.data.custom_id, request: fromOpenAiRequest(parsed.data.body) });
      else problems.push(...parsed.error.issues.slice(0, 2).map((issue) => `requests.${index}.${issue.path.join('.')}: ${issue.message}`));
      return;
    }
    const parsed = batchItemSchema.safeParse(value);
    if (parsed.success) {
      const { custom_id: customId, ...request } = parsed.data;
      items.push({ customId, request });
    } else {
      problems.push(...parsed.error.issues.slice(0, 2).map((issue) => `requests.${index}${issue.path.length ? '.' + issue.path.join('.') : ''}: ${issue.message}`));
    }
  });
  if (problems.length > 0) throw invalidRequest(problems.slice(0, 5));
  return items;
}

/**
 * A batch's `max_cost_usd`: the field of a `{"requests": [...], "max_cost_usd": …}` body, else the query parameter
 * (`POST /v1/batches?max_cost_usd=…`, for JSONL and JSON-array bodies); undefined when neither gives one.
 */
export function parseBatchMaxCost(body: unknown, query: unknown): number | undefined {
  const fromBody = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { max_cost_usd?: unknown }).max_cost_usd : undefined;
  const fromQuery = typeof query === 'string' && query.trim() !== '' ? Number(query) : query === undefined ? undefined : Number.NaN;
  if (fromBody !== undefined && fromQuery !== undefined) throw invalidRequest('max_cost_usd: give it in the body or in the query, not both');
  const value = fromBody ?? fromQuery;
  if (value === undefined) return undefined;
  const parsed = batchMaxCostSchema.safeParse(value);
  if (!parsed.success) throw invalidRequest(`max_cost_usd: ${parsed.error.issues[0]?.message ?? 'invalid'} (a positive number of USD, at most 1000000)`);
  return parsed.data;
}
