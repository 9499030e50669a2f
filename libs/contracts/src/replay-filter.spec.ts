import type { ReplyMessage, ToolCallDelta } from './job';
import { createReplayFilter } from './replay-filter';

const chunk = (seq: number, text: string, toolCalls?: ToolCallDelta[]): ReplyMessage => ({
  kind: 'chunk',
  job_id: 'job',
  seq,
  text,
  ...(toolCalls ? { tool_calls: toolCalls } : {}),
  model: 'm',
  provider: 'mock',
});

describe('replay filter (a resumable job run again)', () => {
  it('lets through only the text beyond what was kept, however the new attempt cuts its deltas', () => {
    const filter = createReplayFilter([chunk(0, 'Hello'), chunk(1, ' brave')]);
    expect(filter.firstSeq).toBe(2);
    expect(filter.ended).toBe(false);
    expect(['Hel', 'lo b', 'ra', 've new', ' world'].map((text) => filter.text(text))).toEqual(['', '', '', ' new', ' world']);
  });

  it('ends the stream when the new attempt says something else than what was sent', () => {
    const filter = createReplayFilter([chunk(0, 'Hello')]);
    expect(filter.text('He')).toBe('');
    expect(() => filter.text('y!')).toThrow(expect.objectContaining({ type: 'unavailable' }));
  });

  it('drops tool-call fragments already kept and sends the rest of their arguments', () => {
    const filter = createReplayFilter([chunk(0, '', [{ index: 0, id: 'call_1', name: 'f', arguments: '{"a"' }])]);
    expect(filter.toolCall({ index: 0, id: 'call_1', name: 'f', arguments: '{' })).toBeUndefined();
    expect(filter.toolCall({ index: 0, arguments: '"a":1}' })).toEqual({ index: 0, arguments: ':1}' });
    expect(filter.toolCall({ index: 1, id: 'call_2', name: 'g', arguments: '{}' })).toEqual({ index: 1, id: 'call_2', name: 'g', arguments: '{}' });
  });

  it('passes everything of a first attempt, and knows an attempt that already ended its stream', () => {
    const fresh = createReplayFilter([]);
    expect(fresh.firstSeq).toBe(0);
    expect(fresh.text('anything')).toBe('anything');
    const ended = createReplayFilter([chunk(0, 'x'), { kind: 'error', job_id: 'job', error: { type: 'cancelled', message: 'gone' } }]);
    expect(ended.ended).toBe(true);
    expect(ended.text('something else entirely')).toBe('');
    expect(ended.toolCall({ index: 0, id: 'c', name: 'f', arguments: '{}' })).toBeUndefined();
  });
});
