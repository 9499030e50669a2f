import { streamEventIdSchema, type ChatJobResult, type ReplyMessage, type StreamEventId } from '@gateway/contracts';
import { createMetrics } from '@gateway/observability';
import type { SseWriter } from './sse-writer';
import { openAiStreamFormat } from './dialects/chat-completions/stream-events';
import { createStreamRelay } from './stream-relay';

/** A writer that keeps each event with its id. */
function idWriter() {
  const events: { id: string | undefined; payload: unknown }[] = [];
  let started = false;
  const writer: SseWriter = {
    get started() {
      return started;
    },
    start() {
      started = true;
    },
    event(payload, id) {
      started = true;
      events.push({ id, payload });
      return true;
    },
    data(text, id) {
      started = true;
      events.push({ id, payload: text });
      return true;
    },
    comment: () => true,
    end: () => undefined,
  };
  return { writer, events };
}

const result: ChatJobResult = {
  content: 'one two three',
  model: 'm',
  provider: 'mock',
  usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 },
  cost_usd: 0,
  finish_reason: 'tool_calls',
  tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
};
const messages: ReplyMessage[] = [
  { kind: 'chunk', job_id: 'job', seq: 0, text: 'one', model: 'm', provider: 'mock' },
  { kind: 'chunk', job_id: 'job', seq: 1, text: ' two', tool_calls: [{ index: 0, id: 'call_1', name: 'f', arguments: '{"a"' }], model: 'm', provider: 'mock' },
  { kind: 'chunk', job_id: 'job', seq: 2, text: ' three', tool_calls: [{ index: 0, arguments: ':1}' }], model: 'm', provider: 'mock' },
  { kind: 'stream-end', job_id: 'job', seq: 3, result },
];

function relayed(format: 'gateway' | 'openai', resumeAfter?: StreamEventId) {
  const { writer, events } = idWriter();
  const relay = createStreamRelay({
    jobId: 'job',
    requestId: 'req',
    writer,
    ...(format === 'openai' ? { format: openAiStreamFormat({ jobId: 'job', includeUsage: true }) } : {}),
    keepAliveMs: 60_000,
    idleTimeoutMs: 60_000,
    cancelJob: () => undefined,
    onFinish: () => undefined,
    metrics: createMetrics({ app: 'test', defaultMetrics: false }),
    startedAt: 0,
    resumeAfter,
  });
  for (const message of messages) relay.onMessage(message);
  return events;
}

describe('stream event ids', () => {
  it('number every event <seq>-<n> by the message it came from, the end after the last chunk', () => {
    expect(relayed('gateway').map((event) => event.id)).toEqual(['0-0', '1-0', '1-1', '2-0', '2-1', '3-0']);
    expect(relayed('openai').map((event) => event.id)).toEqual(['0-0', '1-0', '1-1', '2-0', '2-1', '3-0', '3-1', '3-2']);
  });

  it.each(['gateway', 'openai'] as const)('resumed after any id, the %s stream sends exactly the events after it, worded the same', (format) => {
    const whole = relayed(format);
    whole.forEach((event, index) => {
      const resumed = relayed(format, streamEventIdSchema.parse(event.id));
      // OpenAI chunks carry a creation time: compare without it.
      const strip = (events: typeof whole) =>
        events.map(({ id, payload }) => ({ id, payload: typeof payload === 'object' && payload !== null ? { ...payload, created: 0 } : payload }));
      expect(strip(resumed)).toEqual(strip(whole.slice(index + 1)));
    });
  });

  it('parses Last-Event-ID strictly', () => {
    expect(streamEventIdSchema.parse('12-3')).toEqual({ seq: 12, part: 3 });
    for (const bad of ['', '1', '1-', '-1', 'a-1', '01-0', '1-2-3', '1e3-0', '1234567890-0']) expect(streamEventIdSchema.safeParse(bad).success).toBe(false);
  });
});
