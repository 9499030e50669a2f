import fc from 'fast-check';
import { oddSurfaceFields, oddSurfaceMessage, validResponseFormat, validToolConversation } from './fuzz-chat-surface';

/** One request the fuzzer sends. */
export interface FuzzRequest {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH' | 'OPTIONS';
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', '\uD800', '\uFEFF', 'e\u0301', '\u202E', '👩‍👩‍👧', '\\', '"', '%00', '../../etc/passwd', '<script>', '${jndi:x}', 'x'.repeat(5000)),
);
const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom('system', 'user', 'assistant', 'tool', 'USER', ''), text, fc.integer()),
    content: fc.oneof(text, fc.integer(), fc.constant(null), fc.array(fc.record({ type: fc.constantFrom('text', 'image_url'), text }))),
  },
  { requiredKeys: [] },
);
/** Bodies near the valid shape (wrong types, missing fields, odd values), valid now and then. */
const chatLike = fc.record(
  {
    agent_id: fc.oneof(text, fc.integer(), fc.constant(null)),
    messages: fc.oneof(fc.array(fc.oneof(message, oddSurfaceMessage), { maxLength: 4 }), text, fc.constant({})),
    model: fc.oneof(fc.constantFrom('mock/fuzz', 'mock/fuzz?latency=1', 'mock/x?fail=invalid_request', 'thudm/glm-4-9b-chat', 'nope/x', ''), text),
    temperature: fc.oneof(fc.double(), fc.integer(), text),
    max_tokens: fc.oneof(fc.integer(), fc.double(), text),
    max_completion_tokens: fc.oneof(fc.integer(), text),
    priority: fc.oneof(fc.integer(), fc.double(), text),
    stream: fc.oneof(fc.boolean(), text),
    n: fc.integer({ min: -2, max: 3 }),
    user: fc.oneof(text, fc.integer()),
    callback_url: fc.oneof(fc.webUrl(), text),
    custom_id: text,
    requests: fc.array(fc.record({ messages: fc.array(message, { maxLength: 2 }), custom_id: text }, { requiredKeys: [] }), { maxLength: 3 }),
    ...oddSurfaceFields,
  },
  { requiredKeys: [] },
);
/** Valid bodies with some odd but legal values (unicode edge cases, extra fields), so routes get past validation. */
const validChat = fc.record(
  {
    messages: fc.array(fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: text }), { minLength: 1, maxLength: 3 }),
    model: fc.constantFrom('mock/fuzz', 'mock/fuzz?reply=ok'),
    agent_id: fc.string({ minLength: 1, maxLength: 20 }),
    unknown_field: fc.jsonValue(),
  },
  { requiredKeys: ['messages', 'model'] },
);
/** Valid requests of the agents' surface: a tool loop (maybe with an image), a response_format. */
const validSurfaceChat = fc
  .record({
    conversation: validToolConversation,
    response_format: fc.option(validResponseFormat, { nil: undefined }),
    model: fc.constantFrom('mock/fuzz', 'mock/fuzz?reply=ok'),
  })
  .map(({ conversation, response_format, model }) => ({ ...conversation, model, ...(response_format ? { response_format } : {}) }));
const deepNesting = fc
  .integer({ min: 100, max: 5000 })
  .chain((depth) => fc.constantFrom(`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`, '['.repeat(depth)));

/** Embeddings bodies: every input shape, valid or not, odd encodings and sizes (the mock answers the valid ones). */
const embeddingsLike = fc.record(
  {
    model: fc.oneof(fc.constantFrom('mock/fuzz-embed', 'mock/fuzz-embed?latency=5'), fc.jsonValue()),
    input: fc.oneof(
      text,
      fc.array(text, { maxLength: 4 }),
      fc.array(fc.integer({ min: -2, max: 100_000 }), { maxLength: 4 }),
      fc.array(fc.array(fc.nat(), { maxLength: 3 }), { maxLength: 3 }),
      fc.jsonValue(),
    ),
    encoding_format: fc.oneof(fc.constantFrom('float', 'base64'), fc.jsonValue()),
    dimensions: fc.oneof(fc.integer({ min: -1, max: 70_000 }), fc.jsonValue()),
    user: text,
  },
  { requiredKeys: [] },
);

const encode = (value: string) => new TextEncoder().encode(value);
/** A JSON-ish body as bytes: near-valid shapes, any JSON, broken JSON, deep nesting, invalid UTF-8, huge. */
export const bodyBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: chatLike.map((value) => encode(JSON.stringify(value))) },
  { weight: 8, arbitrary: validChat.map((value) => encode(JSON.stringify(value))) },
  { weight: 1, arbitrary: fc.array(validChat, { minLength: 1, maxLength: 3 }).map((value) => encode(JSON.stringify(value))) },
  { weight: 4, arbitrary: validSurfaceChat.map((value) => encode(JSON.stringify(value))) },
  { weight: 1, arbitrary: fc.array(validSurfaceChat, { minLength: 1, maxLength: 3 }).map((value) => encode(JSON.stringify(value))) },
  { weight: 3, arbitrary: embeddingsLike.map((value) => encode(JSON.stringify(value))) },
  { weight: 2, arbitrary: fc.jsonValue().map((value) => encode(JSON.stringify(value) ?? 'null')) },
  { weight: 1, arbitrary: fc.string().map(encode) },
  { weight: 1, arbitrary: deepNesting.map(encode) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      Uint8Array.from([0xc3, 0x28]),
      Uint8Array.from([0xed, 0xa0, 0x80]),
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 70_000, max: 200_000 }).map((size) => encode(`{"messages":[{"role":"user","content":"${'a'.repeat(size)}"}]}`)) },
);

const contentType = fc.oneof(
  { weight: 5, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/jsonl',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/merge-patch+json',
      '',
      ';;;',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).filter((value) => /^[\x20-\x7e]*$/.test(value)) },
);
const headerValue = fc
  .oneof(fc.string({ maxLength: 200 }), fc.constantFrom('x'.repeat(4000), 'Bearer ', 'Basic Og==', '../..'))
  .filter((value) => /^[\x20-\x7e]*$/.test(value));

/** Any request the API might receive: every route, odd paths and ids, abused headers. */
export function fuzzRequest(routes: readonly [FuzzRequest['method'], string][], token: string): fc.Arbitrary<FuzzRequest> {
  const id = fc
    .oneof(
      fc.uuid(),
      fc.string({ maxLength: 300 }),
      fc.constantFrom('..', '%2e%2e', 'a'.repeat(129), '-', '%00', '😀', 'wait', 'meta', 'events', 'prioritized', 'id'),
      fc.uuid().map((uuid) => `${uuid}-0`),
    )
    .map((value) => encodeURIComponent(value) || 'x');
  const method = fc.constantFrom<FuzzRequest['method']>('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS');
  // Mostly a real route with its own method (ids appended where the route takes one), sometimes anything.
  const target = fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(fc.constantFrom(...routes), id, fc.boolean())
        .map(([[verb, path], value, query]) => ({ method: verb, path: path.endsWith('/') ? `${path}${value}${query ? '?results=true' : ''}` : path })),
    },
    { weight: 1, arbitrary: fc.tuple(method, fc.constantFrom(...routes)).map(([verb, [, path]]) => ({ method: verb, path })) },
    { weight: 1, arbitrary: fc.tuple(method, fc.webPath()).map(([verb, path]) => ({ method: verb, path: path || '/' })) },
  );
  const auth = fc.oneof({ weight: 5, arbitrary: fc.constant(`Bearer ${token}`) }, { weight: 1, arbitrary: headerValue });
  const rest = fc.record({
    headers: fc.record(
      {
        'content-type': contentType,
        authorization: auth,
        'x-request-id': headerValue,
        'x-agent-id': headerValue,
        accept: fc.constantFrom('text/event-stream', '*/*', 'application/json'),
        origin: fc.oneof({ weight: 6, arbitrary: fc.constant('http://localhost:3000') }, { weight: 1, arbitrary: fc.constantFrom('http://evil.test', 'null') }),
        'openai-organization': headerValue,
        'idempotency-key': headerValue,
        'last-event-id': fc.oneof(headerValue, fc.constantFrom('0-0', '3-1', '999999999-9999')),
      },
      { requiredKeys: ['authorization'] },
    ),
    body: fc.option(bodyBytes, { nil: undefined, freq: 6 }),
  });
  return fc.tuple(target, rest).map(([where, what]) => ({ ...where, ...what }));
}
