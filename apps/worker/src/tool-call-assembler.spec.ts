import { createToolCallAssembler } from './tool-call-assembler';

describe('tool-call assembler', () => {
  it('numbers calls in the order they start, whatever the upstream indexes, and builds the whole calls', () => {
    const calls = createToolCallAssembler('openrouter');
    expect(calls.accept({ index: 3, id: 'call_x', name: 'f', arguments: '{"a"' })).toEqual({ index: 0, id: 'call_x', name: 'f', arguments: '{"a"' });
    expect(calls.accept({ index: 7, name: 'g', arguments: '' })).toMatchObject({ index: 1, name: 'g', arguments: '' });
    expect(calls.accept({ index: 3, arguments: ':1}' })).toEqual({ index: 0, arguments: ':1}' });
    const [first, second] = calls.toolCalls();
    expect(first).toEqual({ id: 'call_x', type: 'function', function: { name: 'f', arguments: '{"a":1}' } });
    // An upstream that gives no id: one is made, the same in the relayed fragment and the result.
    expect(second!.id).toMatch(/^call_/);
    expect(second!.function).toEqual({ name: 'g', arguments: '' });
  });

  it('refuses a stream with more calls than any tool list allows', () => {
    const calls = createToolCallAssembler('mock');
    for (let index = 0; index < 128; index += 1) calls.accept({ index, id: `c${index}`, name: 'f', arguments: '' });
    expect(() => calls.accept({ index: 128, id: 'c', name: 'f', arguments: '' })).toThrow(/more than 128 tool calls/);
  });
});
