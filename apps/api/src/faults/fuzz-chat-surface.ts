import fc from 'fast-check';

// The agents' chat surface (tools, tool messages, image parts, response_format and the sampling fields), for the
// fuzzer: `valid*` arbitraries pass validation, so the mock worker answers them; `odd*` ones are near misses.

const name = fc.oneof(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_-]{0,20}$/), fc.constantFrom('', 'a b', 'x'.repeat(100), '😀', 'get_weather'));
const schema = fc.oneof(
  fc.constant({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
  fc.constant({ type: 'object', properties: {}, additionalProperties: false }),
  fc.jsonValue({ maxDepth: 3 }),
);

const validTool = fc.record({
  type: fc.constant('function'),
  function: fc.record(
    {
      name: fc.constantFrom('get_weather', 'lookup', 'run_sql'),
      description: fc.string({ maxLength: 40 }),
      parameters: fc.constant({ type: 'object', properties: { city: { type: 'string' } } }),
      strict: fc.boolean(),
    },
    { requiredKeys: ['name'] },
  ),
});
const oddTool = fc.oneof(
  fc.record(
    {
      type: fc.constantFrom('function', 'retrieval', 'code_interpreter', ''),
      function: fc.record({ name, parameters: schema, strict: fc.oneof(fc.boolean(), fc.string()) }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

const toolCall = (id: fc.Arbitrary<unknown>) =>
  fc.record(
    {
      id,
      type: fc.constant('function'),
      function: fc.record(
        { name, arguments: fc.oneof(fc.constant('{"city":"Paris"}'), fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 2 })) },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  );

const imageUrl = fc.oneof(
  fc.constantFrom(
    'https://example.test/cat.png',
    'data:image/png;base64,iVBORw0KGgo=',
    'data:image/png;base64,!!!',
    'data:,',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'http://169.254.169.254/',
  ),
  fc.webUrl(),
  fc.string({ maxLength: 40 }),
);
const imagePart = fc.record(
  {
    type: fc.constant('image_url'),
    image_url: fc.oneof(fc.record({ url: imageUrl, detail: fc.constantFrom('auto', 'low', 'high', 'ultra') }, { requiredKeys: [] }), fc.string()),
  },
  { requiredKeys: [] },
);
const textPart = fc.record({ type: fc.constant('text'), text: fc.string({ maxLength: 40 }) });

/** Messages of every role of the surface, shapes near valid: tool results, assistant tool calls, image parts. */
export const oddSurfaceMessage = fc.oneof(
  fc.record(
    {
      role: fc.constant('tool'),
      tool_call_id: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null)),
      content: fc.oneof(fc.string({ maxLength: 40 }), fc.array(textPart, { maxLength: 2 }), fc.constant(null)),
    },
    { requiredKeys: ['role'] },
  ),
  fc.record(
    {
      role: fc.constant('assistant'),
      content: fc.oneof(fc.constant(null), fc.string({ maxLength: 40 })),
      tool_calls: fc.oneof(fc.array(toolCall(fc.oneof(fc.string({ maxLength: 20 }), fc.integer())), { maxLength: 3 }), fc.string()),
    },
    { requiredKeys: ['role'] },
  ),
  fc.record({ role: fc.constant('user'), content: fc.array(fc.oneof(textPart, imagePart, fc.jsonValue({ maxDepth: 1 })), { maxLength: 3 }) }),
);

/** response_format of each kind, with broken schemas now and then. */
export const oddResponseFormat = fc.oneof(
  fc.record({ type: fc.constantFrom('text', 'json_object', 'json_schema', 'xml') }),
  fc.record(
    { type: fc.constant('json_schema'), json_schema: fc.record({ name, schema, strict: fc.oneof(fc.boolean(), fc.string()) }, { requiredKeys: [] }) },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

/** The surface's fields as a caller might get them wrong: any of them may be on a fuzzed body. */
export const oddSurfaceFields = {
  tools: fc.oneof(fc.array(fc.oneof(validTool, oddTool), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
  tool_choice: fc.oneof(
    fc.constantFrom('auto', 'none', 'required', 'any'),
    fc.record({ type: fc.constant('function'), function: fc.record({ name }) }),
    fc.jsonValue({ maxDepth: 2 }),
  ),
  parallel_tool_calls: fc.oneof(fc.boolean(), fc.string()),
  response_format: oddResponseFormat,
  stop: fc.oneof(fc.string({ maxLength: 10 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 6 }), fc.integer()),
  top_p: fc.oneof(fc.double(), fc.integer()),
  seed: fc.oneof(fc.integer(), fc.double(), fc.string()),
  presence_penalty: fc.oneof(fc.double(), fc.integer({ min: -5, max: 5 })),
  frequency_penalty: fc.oneof(fc.double(), fc.integer({ min: -5, max: 5 })),
  logprobs: fc.oneof(fc.boolean(), fc.string()),
  top_logprobs: fc.oneof(fc.integer({ min: -1, max: 30 }), fc.double()),
  reasoning_effort: fc.oneof(fc.constantFrom('low', 'medium', 'high', 'max'), fc.integer()),
  metadata: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 5 }), fc.jsonValue({ maxDepth: 2 })),
};

/** A valid tool loop: tools, the assistant's calls, the tools' results (ids matching), maybe an image. */
export const validToolConversation = fc
  .record({
    tools: fc.array(validTool, { minLength: 1, maxLength: 3 }),
    id: fc.stringMatching(/^call_[a-z0-9]{1,12}$/),
    withImage: fc.boolean(),
    content: fc.string({ maxLength: 40 }),
  })
  .map(({ tools, id, withImage, content }) => {
    const toolName = tools[0]!.function.name;
    const user = withImage
      ? [
          { type: 'text', text: content },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
        ]
      : content || 'hi';
    return {
      tools,
      tool_choice: { type: 'function', function: { name: toolName } },
      messages: [
        { role: 'user', content: user },
        { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: toolName, arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: id, content: '{"temp":21}' },
      ],
    };
  });

/** A valid response_format: text, json_object or a json_schema. */
export const validResponseFormat = fc.constantFrom(
  { type: 'text' },
  { type: 'json_object' },
  { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } }, strict: true } },
);
