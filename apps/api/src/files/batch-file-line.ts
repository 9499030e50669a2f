import type { z } from 'zod';
import {
  chatRequestSchema,
  embeddingsRequestSchema,
  fileLineRefused,
  fromOpenAiRequest,
  openAiChatRequestSchema,
  toEmbeddingsWork,
  type BatchEndpoint,
  type ChatRequest,
  type EmbeddingsWork,
} from '@gateway/contracts';
import { nestsDeeperThan } from '../middleware/json-body';
import { lineCacheOf } from '../batch-input';
import { responsesRequestSchema } from '../dialects/responses/responses-wire';
import { toChatRequest } from '../dialects/responses/to-chat-request';

/** A chat route's body mapped onto the internal chat request, checked by the chat request's schema. */
function chatWork(mapped: unknown, line: number): ChatRequest {
  const chat = chatRequestSchema.safeParse(mapped);
  if (chat.success) return chat.data;
  const { field, message } = firstIssue(chat.error, 'body');
  throw fileLineRefused(line, field, message);
}

/** The routes a line of a batch file may name, and how its body is checked and mapped (by the route's dialect). */
const lineRoutes: Record<BatchEndpoint, { schema: z.ZodType; toWork(body: unknown, line: number): ChatRequest | EmbeddingsWork }> = {
  '/v1/chat/completions': {
    schema: openAiChatRequestSchema,
    toWork: (body, line) => chatWork(fromOpenAiRequest(body as z.infer<typeof openAiChatRequestSchema>), line),
  },
  '/v1/responses': {
    schema: responsesRequestSchema,
    toWork: (body, line) => {
      const { droppedTools: _dropped, ...request } = body as z.infer<typeof responsesRequestSchema>;
      if (request.previous_response_id !== undefined)
        throw fileLineRefused(line, 'body.previous_response_id', 'a batch request stands alone (send the whole input)');
      if (request.background) throw fileLineRefused(line, 'body.background', 'a batch request is background work already');
      return chatWork(toChatRequest(request, [], request.user), line);
    },
  },
  '/v1/embeddings': {
    schema: embeddingsRequestSchema,
    toWork: (body) => toEmbeddingsWork(body as z.infer<typeof embeddingsRequestSchema>),
  },
};

const isRoute = (url: unknown): url is BatchEndpoint => typeof url === 'string' && Object.hasOwn(lineRoutes, url);

/** A line's first problem as `<field>: <message>` parts, from a zod error (its path under `body`). */
function firstIssue(error: z.ZodError, under: string): { field: string; message: string } {
  const issue = error.issues[0];
  const path = issue && issue.path.length > 0 ? `${under}.${issue.path.join('.')}` : under;
  return { field: path, message: issue?.message ?? 'invalid' };
}

/** One checked line of a batch file: its id and its request, mapped onto the internal chat request. */
export interface BatchFileLine {
  customId: string;
  url: BatchEndpoint;
  request: ChatRequest | EmbeddingsWork;
  /** The body's own `"cache"`: true opts in to the response cache, false out. */
  cache?: boolean;
}

/**
 * Checks one line of a batch file (`line`: 1-based) and maps it: a JSON object with a `custom_id` (1 to 256
 * characters), `method` POST, a `url` the gateway serves (every line of a file the same) and a `body` valid for that
 * route, which the batch runs as that route would (Responses lines stateless: no `previous_response_id`). Throws the
 * 400 naming the line and its field.
 */
export function parseBatchFileLine(text: string, line: number, fileUrl: BatchEndpoint | undefined, maxDepth?: number): BatchFileLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fileLineRefused(line, '(line)', 'not valid JSON');
  }
  // Nested past the bound, as a body sent alone may not be (it would be serialised recursively later).
  if (maxDepth !== undefined && nestsDeeperThan(value, maxDepth))
    throw fileLineRefused(line, '(line)', `nests objects and arrays deeper than ${maxDepth} levels`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fileLineRefused(line, '(line)', 'a JSON object is expected');
  const { custom_id: customId, method, url, body } = value as Record<string, unknown>;
  if (typeof customId !== 'string' || customId.length === 0 || customId.length > 256)
    throw fileLineRefused(line, 'custom_id', 'a string of 1 to 256 characters is required');
  if (method !== 'POST') throw fileLineRefused(line, 'method', 'must be POST');
  if (!isRoute(url)) throw fileLineRefused(line, 'url', `must be one of ${Object.keys(lineRoutes).join(', ')}`);
  if (fileUrl !== undefined && url !== fileUrl) throw fileLineRefused(line, 'url', `every line of a file names the same url (the first names ${fileUrl})`);
  const route = lineRoutes[url];
  const parsed = route.schema.safeParse(body);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error, 'body');
    throw fileLineRefused(line, field, message);
  }
  const own = lineCacheOf(body);
  if ('problem' in own) throw fileLineRefused(line, 'body.cache', own.problem);
  return { customId, url, request: route.toWork(parsed.data, line), ...own };
}

/** Checks a batch file's lines one by one as they arrive: each parsed, its custom_id unique within the file. */
export function createBatchFileChecker(maxRequests: number, maxDepth?: number) {
  const customIds = new Set<string>();
  let url: BatchEndpoint | undefined;
  return {
    check(text: string, line: number): void {
      const parsed = parseBatchFileLine(text, line, url, maxDepth);
      url ??= parsed.url;
      if (customIds.has(parsed.customId)) throw fileLineRefused(line, 'custom_id', `${parsed.customId.slice(0, 64)} is used by an earlier line`);
      customIds.add(parsed.customId);
      if (customIds.size > maxRequests) throw fileLineRefused(line, '(file)', `a batch file holds at most ${maxRequests} requests`);
    },
    count: () => customIds.size,
    url: () => url,
  };
}
