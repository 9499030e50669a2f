import { openAiChunkSchema, plainOpenAiChunk } from './openai-compatible-wire';

const accepted = [
  { choices: [{ delta: { content: 'hi' } }] },
  { id: 'x', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: 'hi' }, finish_reason: null }] },
  { choices: [{ delta: {}, finish_reason: 'stop' }] },
  { choices: [{ delta: null }], model: null, usage: null, error: null },
  { choices: [] },
  {},
];

/** Chunks the hand check leaves to the schema: tool calls, reasoning, usage, errors, and every malformed shape. */
const leftToTheSchema = [
  null,
  [],
  'text',
  42,
  { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '{' } }] } }] },
  { choices: [{ delta: { reasoning_details: [{ type: 'reasoning.text', text: 'x' }] } }] },
  { choices: [], usage: { prompt_tokens: 1 } },
  { error: { message: 'overloaded' } },
  { choices: [{ error: { message: 'bad' }, delta: {} }] },
  // malformed: the schema refuses these with the chunk-shape error
  { choices: {} },
  { choices: 'x' },
  { choices: [null] },
  { choices: [[]] },
  { choices: [{ delta: { content: 3 } }] },
  { choices: [{ delta: [] }] },
  { choices: [{ delta: 'x' }] },
  { choices: [{ finish_reason: 1 }] },
  { model: 7, choices: [] },
];

describe('plainOpenAiChunk', () => {
  it.each(accepted.map((chunk) => [JSON.stringify(chunk), chunk]))('takes %s, which the schema accepts with the same fields', (_, chunk) => {
    const parsed = openAiChunkSchema.safeParse(chunk);
    expect(parsed.success).toBe(true);
    const quick = plainOpenAiChunk(chunk);
    expect(quick).toBeDefined();
    // The fields the adapter reads are the same either way.
    const read = (value: typeof quick) => [
      value?.model,
      value?.error,
      value?.usage,
      ...(value?.choices ?? []).map((choice) => [choice.delta?.content, choice.finish_reason, choice.error, choice.delta?.tool_calls]),
    ];
    expect(read(quick)).toEqual(read(parsed.data));
  });

  it.each(leftToTheSchema.map((chunk) => [JSON.stringify(chunk), chunk]))('leaves %s to the schema', (_, chunk) => {
    expect(plainOpenAiChunk(chunk)).toBeUndefined();
  });

  it('never takes a chunk the schema refuses', () => {
    for (const chunk of leftToTheSchema) if (!openAiChunkSchema.safeParse(chunk).success) expect(plainOpenAiChunk(chunk)).toBeUndefined();
  });
});
