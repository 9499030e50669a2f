import { connectionFault, sleep, startFakeServer, type FakeServer, type RecordedRequest } from './http-server';
import { openAiEmbeddingsAnswer, openAiEmbeddingsProblem, writeJson } from './embeddings';

/** What the fake OpenAI does with the next embeddings call(s). */
export type OpenAiBehaviour =
  | { kind: 'reply'; latencyMs?: number }
  | { kind: 'status'; status: number; message?: string; type?: string; code?: string | null; retryAfter?: string }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed' };

export interface FakeOpenAi extends FakeServer {
  /** Base URL to put in OPENAI_BASE_URL (ends in /v1). */
  baseUrl: string;
  setBehaviour(behave: (request: RecordedRequest, index: number) => OpenAiBehaviour): void;
}

/** OpenAI's error body: `{error: {message, type, param, code}}`. */
const errorBody = (message: string, type: string, code: string | null, param: string | null = null) => ({ error: { message, type, param, code } });

/**
 * A fake OpenAI API speaking `POST /v1/embeddings` in its wire format: float or base64 vectors, its 400s (more than
 * 2,048 inputs, an empty string, `dimensions` on a model without them), 401 for another key, 429 with retry-after,
 * faults of the connection and of the body.
 */
export async function startFakeOpenAi(
  options: { apiKey?: string; behave?: (request: RecordedRequest, index: number) => OpenAiBehaviour } = {},
): Promise<FakeOpenAi> {
  let behave = options.behave ?? (() => ({ kind: 'reply' }) as OpenAiBehaviour);
  let count = 0;
  const server = await startFakeServer(async (request, res, raw) => {
    if (request.method !== 'POST' || request.path !== '/v1/embeddings') {
      return writeJson(res, 404, errorBody(`Invalid URL (${request.method} ${request.path})`, 'invalid_request_error', null));
    }
    if (options.apiKey && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return writeJson(res, 401, errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
    }
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
    const problem = openAiEmbeddingsProblem(body);
    if (problem) return writeJson(res, 400, errorBody(problem.message, 'invalid_request_error', null, problem.param));
    const behaviour = behave(request, count++);
    switch (behaviour.kind) {
      case 'status':
        return writeJson(
          res,
          behaviour.status,
          errorBody(behaviour.message ?? `fake status ${behaviour.status}`, behaviour.type ?? 'server_error', behaviour.code ?? null),
          behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {},
        );
      case 'hang':
      case 'reset':
        return connectionFault(behaviour, raw);
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object": "list", "data": [');
        return;
      case 'reply':
        if (behaviour.latencyMs) await sleep(behaviour.latencyMs);
        return writeJson(res, 200, openAiEmbeddingsAnswer(body));
    }
  });
  return {
    ...server,
    baseUrl: `${server.url}/v1`,
    setBehaviour(next) {
      behave = next;
    },
  };
}
