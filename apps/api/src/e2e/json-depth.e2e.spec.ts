import { postJson, useGateway } from '@gateway/testing';

/**
 * The nesting bound of JSON bodies (GATEWAY_JSON_MAX_DEPTH, 128 by default): fields the schemas pass on as they
 * are (a tool's parameters, a JSON schema) are serialised recursively later, where a body deep enough exhausts the
 * stack. Past the bound a body is a 400 `invalid_request` in each route's own error shape; a real schema, however
 * nested, is far below it.
 */
const { gateway } = useGateway({
  name: 'json-depth',
  env: { LLM_PROVIDER: 'mock', LLM_DEFAULT_MODEL: 'mock/echo', GATEWAY_MODELS: 'mock/echo', CIRCUIT_FAILURE_THRESHOLD: '1000' },
});

/** A JSON schema of nested objects, `levels` of them: each level is two levels of JSON (`properties`, the property). */
function nestedSchema(levels: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string', description: 'the innermost field' };
  for (let level = 0; level < levels; level += 1) schema = { type: 'object', properties: { [`field${level}`]: schema }, required: [`field${level}`] };
  return schema;
}

/** A value `depth` objects deep (`{"a":{"a":…}}`), as text: parsed by the API, never built here. */
const deepText = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** The three surfaces' requests with a tool whose parameters are `parameters` (JSON text spliced into the body). */
const routes = {
  '/v1/chat/completions': (parameters: string) =>
    `{"model":"mock/echo","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"deep","parameters":${parameters}}}]}`,
  '/v1/responses': (parameters: string) => `{"model":"mock/echo","input":"hi","tools":[{"type":"function","name":"deep","parameters":${parameters}}]}`,
  '/v1/messages': (parameters: string) =>
    `{"model":"mock/echo","max_tokens":32,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"deep","input_schema":${parameters}}]}`,
} as const;
type Route = keyof typeof routes;

async function post(route: string, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.baseUrl}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The 400 each route answers, in its dialect's shape. */
const refusal: Record<Route, unknown> = {
  '/v1/chat/completions': { error: { type: 'invalid_request_error', code: 'invalid_request', message: expect.stringContaining('deeper than 128 levels') } },
  '/v1/responses': { error: { type: 'invalid_request_error', code: 'invalid_request', message: expect.stringContaining('deeper than 128 levels') } },
  '/v1/messages': { type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('deeper than 128 levels') } },
};

describe('JSON bodies nested past GATEWAY_JSON_MAX_DEPTH', () => {
  it.each(Object.keys(routes) as Route[])('%s: a tool whose parameters nest too deeply is a 400 invalid_request in the route shape', async (route) => {
    // Just past the bound, and deep enough to exhaust the stack of whatever serialises it recursively.
    for (const depth of [130, 100_000]) {
      const answer = await post(route, routes[route](deepText(depth)));
      expect({ depth, status: answer.status }).toEqual({ depth, status: 400 });
      expect(answer.body).toMatchObject(refusal[route] as object);
    }
  });

  it('the gateway routes refuse it too, in the gateway shape (a deep response_format schema on /v1/chat)', async () => {
    const body = `{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"deep","schema":${deepText(100_000)}}}}`;
    for (const path of ['/v1/chat', '/v1/jobs', '/v1/chat/stream']) {
      const response = await fetch(`${gateway.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect({ path, status: response.status, body: await response.json() }).toEqual({
        path,
        status: 400,
        body: expect.objectContaining({ error: expect.objectContaining({ type: 'invalid_request' }) }),
      });
    }
  });

  it('a batch request nested too deeply is refused with the batch, as it would be alone: /v1/batches, Message Batches, a batch file', async () => {
    const chat = `{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"deep","parameters":${deepText(100_000)}}}]}`;
    const batches = await post('/v1/batches', `[{"messages":[{"role":"user","content":"fine"}]},${chat}]`);
    expect(batches.status).toBe(400);
    expect(batches.body).toMatchObject({
      error: { type: 'invalid_request', message: expect.stringContaining('request 2 nests objects and arrays deeper than 128') },
    });

    const params = `{"model":"mock/echo","max_tokens":8,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"deep","input_schema":${deepText(100_000)}}]}`;
    const messageBatches = await post('/v1/messages/batches', `{"requests":[{"custom_id":"deep","params":${params}}]}`);
    expect(messageBatches.status).toBe(400);
    expect(messageBatches.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('deeper than 128') } });

    const line = `{"custom_id":"deep","method":"POST","url":"/v1/chat/completions","body":${routes['/v1/chat/completions'](deepText(100_000))}}`;
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([`${line}\n`]), 'batch.jsonl');
    const file = await fetch(`${gateway.baseUrl}/v1/files`, { method: 'POST', body: form });
    expect(file.status).toBe(400);
    expect(await file.json()).toMatchObject({ error: { message: expect.stringContaining('deeper than 128') } });
  });

  it.each(Object.keys(routes) as Route[])('%s: a real schema nested 20 levels (about 45 of JSON) is answered', async (route) => {
    const answer = await post(route, routes[route](JSON.stringify(nestedSchema(20))));
    expect(answer.status).toBe(200);
  });

  it('a response_format schema nested 20 levels is answered on /v1/chat', async () => {
    const { status } = await postJson(`${gateway.baseUrl}/v1/chat`, {
      messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'nested', schema: nestedSchema(20) } },
    });
    expect(status).toBe(200);
  });
});
