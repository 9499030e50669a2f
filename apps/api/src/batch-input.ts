import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { z } from 'zod';
import {
  batchBodyTooLarge,
  batchItemSchema,
  batchMaxCostSchema,
  batchOptionsSchema,
  fileBatchOptionsSchema,
  fromOpenAiRequest,
  invalidRequest,
  openAiBatchLineSchema,
  openAiEmbeddingsBatchLineSchema,
  toEmbeddingsWork,
  type BatchOptions,
  type ChatRequest,
  type FileBatchOptions,
  type EmbeddingsWork,
} from '@gateway/contracts';
import { createJsonBatchScanner } from './json-batch-scanner';
import { createJsonLinesScanner } from './json-lines-scanner';
import { nestedTooDeeply, nestsDeeperThan } from './middleware/json-body';

/** One parsed request of a batch. */
export interface ParsedBatchItem {
  customId: string | undefined;
  /** A chat request, or (an OpenAI line whose url is `/v1/embeddings`) embeddings. */
  request: ChatRequest | EmbeddingsWork;
  /** The request's own `"cache"` (in its body): true opts in to the response cache, false out. */
  cache?: boolean | undefined;
}

/** A request's own `"cache"` (in `body`), or the problem with it (undefined: fine). */
export function lineCacheOf(body: unknown): { cache?: boolean } | { problem: string } {
  const cache = body !== null && typeof body === 'object' ? (body as { cache?: unknown }).cache : undefined;
  if (cache === undefined || cache === null) return {};
  if (typeof cache === 'boolean') return { cache };
  return { problem: 'expected true or false' };
}

/** A batch body read: its requests and its options (body members, else query parameters). */
export interface ParsedBatch {
  items: ParsedBatchItem[];
  options: BatchOptions;
  /** The batch's spending cap (`max_cost_usd`, a body member or the query parameter), when it has one. */
  maxCostUsd: number | undefined;
  /** OpenAI's batch body (`{"input_file_id", "endpoint", "completion_window", "metadata"}`): its requests are a file's. */
  fromFile?: FileBatchOptions | undefined;
}

/** What bounds a batch body. */
export interface BatchBodyLimits {
  limitBytes: number;
  maxRequests: number;
  /** The longest request (JSONL line, array element or other member) in characters: refused with 413 past it. */
  maxRequestChars: number;
  /** The deepest a request may nest objects and arrays (GATEWAY_JSON_MAX_DEPTH): 400 past it; none: unbounded. */
  maxDepth?: number;
}

/** Problems reported at most (the first ones); a body with that many is refused without reading on. */
const MAX_PROBLEMS = 5;

function isOpenAiLine(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'body' in value && 'custom_id' in value;
}

/** An OpenAI line asking for embeddings (by its url); any other line is read as chat completions. */
function isEmbeddingsLine(value: unknown): boolean {
  const url = (value as { url?: unknown }).url;
  return url === '/v1/embeddings' || url === '/embeddings';
}

/** A request of a batch read: the item, or its problems (each naming its field under `requests.<index>`). */
export type ParsedBatchRequest = { item: ParsedBatchItem } | { problems: string[] };

/** Reads one request of a batch body (a JSON value) at its index in the batch. */
export type BatchItemParser = (value: unknown, index: number) => ParsedBatchRequest;

/** The first issues of a refused request, each naming its field under `requests.<index>`. */
export const batchItemProblems = (index: number, issues: readonly { path: PropertyKey[]; message: string }[]) =>
  issues.slice(0, 2).map((issue) => `requests.${index}${issue.path.length ? `.${issue.path.map(String).join('.')}` : ''}: ${issue.message}`);

/**
 * A request of the gateway's own batch bodies: an OpenAI batch line (`{custom_id, method, url, body}`, chat
 * completions or embeddings by its url), or a chat request with an optional `custom_id`.
 */
export function parseGatewayBatchItem(value: unknown, index: number): ParsedBatchRequest {
  // The request's own `"cache"` (in an OpenAI line's body): opts it in to (or out of) the response cache.
  const openAi = isOpenAiLine(value);
  const own = lineCacheOf(openAi ? (value as { body?: unknown }).body : value);
  const parsed = parseGatewayBatchRequest(value, index);
  if ('problem' in own) {
    const problem = `requests.${index}.${openAi ? 'body.' : ''}cache: ${own.problem}`;
    return { problems: 'problems' in parsed ? [problem, ...parsed.problems] : [problem] };
  }
  return 'item' in parsed && 'cache' in own ? { item: { ...parsed.item, cache: own.cache } } : parsed;
}

/** A request of the gateway's own batch bodies, its `"cache"` aside. */
function parseGatewayBatchRequest(value: unknown, index: number): ParsedBatchRequest {
  if (isOpenAiLine(value) && isEmbeddingsLine(value)) {
    const parsed = openAiEmbeddingsBatchLineSchema.safeParse(value);
    return parsed.success
      ? { item: { customId: parsed.data.custom_id, request: toEmbeddingsWork(parsed.data.body) } }
      : { problems: batchItemProblems(index, parsed.error.issues) };
  }
  if (isOpenAiLine(value)) {
    const parsed = openAiBatchLineSchema.safeParse(value);
    return parsed.success
      ? { item: { customId: parsed.data.custom_id, request: fromOpenAiRequest(parsed.data.body) } }
      : { problems: batchItemProblems(index, parsed.error.issues) };
  }
  const parsed = batchItemSchema.safeParse(value);
  if (!parsed.success) return { problems: batchItemProblems(index, parsed.error.issues) };
  const { custom_id: customId, ...request } = parsed.data;
  return { item: { customId, request } };
}

/**
 * Collects a batch's requests one by one as they are read: each is validated at once (by `parse`), and the batch is
 * refused as soon as it holds more than `maxRequests` or `MAX_PROBLEMS` invalid ones (the 400 GatewayError), so a
 * huge body never becomes a huge array first.
 */
export function createBatchItems(maxRequests: number, parse: BatchItemParser = parseGatewayBatchItem) {
  const items: ParsedBatchItem[] = [];
  const problems: string[] = [];
  let count = 0;
  const fail = () => invalidRequest(problems.slice(0, MAX_PROBLEMS));
  return {
    add(value: unknown): void {
      const index = count;
      count += 1;
      if (count > maxRequests) throw invalidRequest(`a batch holds at most ${maxRequests} requests (got more)`);
      const parsed = parse(value, index);
      if ('item' in parsed) items.push(parsed.item);
      else problems.push(...parsed.problems);
      if (problems.length >= MAX_PROBLEMS) throw fail();
    },
    finish(): ParsedBatchItem[] {
      if (problems.length > 0) throw fail();
      if (count === 0) throw invalidRequest('the batch holds no requests');
      return items;
    },
  };
}

function parseOptions<T>(raw: Record<string, unknown>, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidRequest(parsed.error.issues.slice(0, MAX_PROBLEMS).map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  return parsed.data;
}

/**
 * Reads a batch body from the request stream as it arrives (no body parser before): a JSON array (or
 * `{"requests": [...], "callback_url"?, "completion_window"?}`) of chat requests with optional `custom_id`, or JSONL
 * whose lines are chat requests or OpenAI batch input lines (`{custom_id, method, url, body}`). Refused as soon as
 * a limit passes: 413 past `limitBytes` (from Content-Length before a byte is read) or at a request longer than
 * `maxRequestChars`, 400 past `maxRequests` or at the first malformed JSON; what the client still sends is then read
 * and dropped, not parsed. `query` gives the options for a JSONL body (and defaults for a JSON one). `parseItem` reads
 * each request (default: the gateway's own and OpenAI's batch lines; Anthropic's Message Batches give theirs).
 */
export function readBatchBody(
  req: IncomingMessage,
  jsonLines: boolean,
  limits: BatchBodyLimits,
  query: Record<string, unknown> = {},
  parseItem?: BatchItemParser,
): Promise<ParsedBatch> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limits.limitBytes) {
    req.resume();
    return Promise.reject(batchBodyTooLarge(limits.limitBytes));
  }
  const items = createBatchItems(limits.maxRequests, parseItem);
  let read = 0;
  // A request nested past the bound is refused as a body sent alone is (it would be serialised recursively later).
  const add = (value: unknown) => {
    read += 1;
    if (limits.maxDepth !== undefined && nestsDeeperThan(value, limits.maxDepth)) throw nestedTooDeeply(limits.maxDepth, `request ${read}`);
    items.add(value);
  };
  // No prototype: a member named `__proto__` is an option like any other (then refused by parseOptions), never the object's prototype.
  const options: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, query);
  // max_cost_usd comes from the body or the query, never both (parseBatchMaxCost): the body's is kept apart.
  let bodyMaxCost: { max_cost_usd: unknown } | undefined;
  const scanner = jsonLines
    ? createJsonLinesScanner(add, limits.maxRequestChars)
    : createJsonBatchScanner(
        {
          onItem: (text) => {
            let value: unknown;
            try {
              value = JSON.parse(text);
            } catch {
              throw invalidRequest('request body is not valid JSON');
            }
            add(value);
          },
          onOption: (key, value) => {
            if (key === 'max_cost_usd') bodyMaxCost = { max_cost_usd: value };
            else options[key] = value;
          },
        },
        limits.maxRequestChars,
      );
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  return new Promise<ParsedBatch>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => ParsedBatch) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      try {
        resolve(outcome());
      } catch (error) {
        // The rest of the body is drained unread, so the client gets the answer instead of a reset.
        req.resume();
        reject(error);
      }
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limits.limitBytes) {
        settle(() => {
          throw batchBodyTooLarge(limits.limitBytes);
        });
        return;
      }
      try {
        scanner.push(decoder.write(chunk));
      } catch (error) {
        settle(() => {
          throw error;
        });
      }
    };
    const onEnd = () =>
      settle(() => {
        scanner.push(decoder.end());
        // A body of another dialect's requests (parseItem) never names a file: `input_file_id` is only OpenAI's.
        const fileNamed = !jsonLines && parseItem === undefined && options['input_file_id'] !== undefined;
        const hadRequests = scanner.end(!fileNamed) !== false;
        const maxCostUsd = parseBatchMaxCost(bodyMaxCost, query['max_cost_usd']);
        if (fileNamed) {
          if (hadRequests) throw invalidRequest('input_file_id: a batch takes its requests from a file or from requests, not both');
          const fromFile = parseOptions<FileBatchOptions>(options, fileBatchOptionsSchema);
          return { items: [], options: fromFile, maxCostUsd, fromFile };
        }
        return { items: items.finish(), options: parseOptions<BatchOptions>(options, batchOptionsSchema), maxCostUsd };
      });
    req.on('data', onData);
    req.on('end', onEnd);
    const cutShort = () =>
      settle(() => {
        throw invalidRequest('request body was not received completely');
      });
    req.once('error', cutShort);
    // Closed before its end (the client went away): nothing to answer, but the route must not wait forever.
    req.once('close', () => {
      if (!req.complete) cutShort();
    });
  });
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
