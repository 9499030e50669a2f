import { GatewayError, type ChatJobResult, type ReplyMessage } from '@gateway/contracts';
import { createMetrics } from '@gateway/observability';
import type { SseWriter } from './sse-writer';
import { createStreamRelay } from './stream-relay';

/** An SSE writer that keeps what it was given; `room` events fit before the client counts as too slow. */
function recordingWriter(room = Infinity) {
  const written: unknown[] = [];
  let started = false;
  let ended = false;
  const record = (payload: unknown) => {
    started = true;
    written.push(payload);
    return written.length <= room;
  };
  const writer: SseWriter = {
    get started() {
      return started;
    },
    start() {
      started = true;
    },
    event: (payload) => record(payload),
    data: (text) => record(text),
    comment() {
      started = true;
      return true;
    },
    end() {
      ended = true;
    },
  };
  return { writer, written, ended: () => ended };
}

/** The text of each written event (undefined for the done and error events). */
const contents = (written: unknown[]) => written.map((event) => (event as { content?: string }).content);

const result: ChatJobResult = {
  content: 'Hello brave world',
  model: 'm',
  provider: 'mock',
  usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 },
  cost_usd: 0,
  finish_reason: 'stop',
};
const chunk = (seq: number, text: string): ReplyMessage => ({ kind: 'chunk', job_id: 'job-1', seq, text, model: 'm', provider: 'mock' });

function setup(room?: number, timing: { keepAliveMs?: number; enqueuing?: boolean } = {}) {
  const recorded = recordingWriter(room);
  const outcomes: string[] = [];
  let cancelled = 0;
  const relay = createStreamRelay({
    jobId: 'job-1',
    requestId: 'req-1',
    writer: recorded.writer,
    keepAliveMs: timing.keepAliveMs ?? 60_000,
    ...(timing.enqueuing ? { enqueuing: true } : {}),
    idleTimeoutMs: 60_000,
    cancelJob: () => (cancelled += 1),
    onFinish: (outcome) => outcomes.push(outcome),
    metrics: createMetrics({ app: 'test', defaultMetrics: false }),
    startedAt: performance.now(),
  });
  return { relay, ...recorded, outcomes, cancelled: () => cancelled };
}

describe('stream relay', () => {
  it('sends no ping while its job is being enqueued (a refusal is still answered with its status), and pings once it is in', async () => {
    const { relay, writer } = setup(undefined, { keepAliveMs: 20, enqueuing: true });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(writer.started).toBe(false);
    relay.enqueued();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(writer.started).toBe(true);
    relay.dispose();
  });

  it('ends a stream that began before its enqueue failed with the error event, not silently, and cancels the job', async () => {
    const { relay, written, ended, outcomes, cancelled } = setup(undefined, { enqueuing: true });
    relay.onMessage(chunk(0, 'Hello '));
    relay.failed(new GatewayError('unavailable', 'redis went away'));
    await relay.done;
    expect(written).toEqual([
      { content: 'Hello ', model: 'm', provider: 'mock' },
      expect.objectContaining({ error: expect.objectContaining({ type: 'unavailable' }) }),
    ]);
    expect(ended()).toBe(true);
    expect(outcomes).toEqual(['failed']);
    expect(cancelled()).toBe(1);
  });

  it('hands a stream that began over with the id of the last event its client has, and writes nothing more; an ended one is over', async () => {
    const { relay, written, ended, outcomes, cancelled } = setup(undefined, { enqueuing: true });
    relay.onMessage(chunk(0, 'Hello '));
    relay.onMessage(chunk(2, 'world'));
    relay.onMessage(chunk(1, 'brave '));
    expect(relay.handOver()).toEqual({ seq: 2, part: 0 });
    relay.onMessage(chunk(3, '!'));
    expect(contents(written)).toEqual(['Hello ', 'brave ', 'world']);
    expect({ ended: ended(), outcomes, cancelled: cancelled() }).toEqual({ ended: false, outcomes: [], cancelled: 0 });
    expect(relay.handOver()).toBe('over');

    const finished = setup();
    finished.relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 0, result });
    await finished.relay.done;
    expect(finished.relay.handOver()).toBe('over');
  });

  it('hands over with the Last-Event-ID it resumed after when it wrote nothing since', () => {
    const recorded = recordingWriter();
    const relay = createStreamRelay({
      jobId: 'job-1',
      requestId: 'req-1',
      writer: recorded.writer,
      keepAliveMs: 60_000,
      idleTimeoutMs: 60_000,
      cancelJob: () => undefined,
      onFinish: () => undefined,
      metrics: createMetrics({ app: 'test', defaultMetrics: false }),
      startedAt: performance.now(),
      resumeAfter: { seq: 5, part: 0 },
    });
    relay.onMessage(chunk(0, 'Hello '));
    expect(recorded.written).toEqual([]);
    expect(relay.handOver()).toEqual({ seq: 5, part: 0 });
  });

  it('relays chunks in order and ends with the done event', async () => {
    const { relay, written, ended, outcomes } = setup();
    relay.onMessage(chunk(0, 'Hello '));
    relay.onMessage(chunk(1, 'brave world'));
    relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 2, result });
    await relay.done;
    expect(written).toEqual([
      { content: 'Hello ', model: 'm', provider: 'mock' },
      { content: 'brave world', model: 'm', provider: 'mock' },
      expect.objectContaining({ done: true, usage: result.usage, job_id: 'job-1' }),
    ]);
    expect(ended()).toBe(true);
    expect(outcomes).toEqual(['completed']);
  });

  it('relays chunks that arrive out of order in seq order', async () => {
    const { relay, written, outcomes } = setup();
    relay.onMessage(chunk(0, 'Hello '));
    relay.onMessage(chunk(2, 'world'));
    relay.onMessage(chunk(1, 'brave '));
    relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 3, result });
    await relay.done;
    expect(contents(written)).toEqual(['Hello ', 'brave ', 'world', undefined]);
    expect(outcomes).toEqual(['completed']);
  });

  it('repairs a chunk that never came from the result at the end (the later ones waited behind it)', async () => {
    const { relay, written, outcomes } = setup();
    relay.onMessage(chunk(0, 'Hello '));
    relay.onMessage(chunk(2, 'world'));
    expect(written).toHaveLength(1);
    relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 3, result });
    await relay.done;
    expect(contents(written)).toEqual(['Hello ', 'brave world', undefined]);
    expect(outcomes).toEqual(['completed']);
  });

  it('never mixes two attempts: chunks held behind a missing one are dropped when the job starts over', async () => {
    const { relay, written, outcomes } = setup();
    relay.onMessage(chunk(0, 'Hello '));
    relay.onMessage(chunk(2, 'world')); // the first attempt's; its chunk 1 is lost, then its worker dies
    relay.onMessage(chunk(0, 'Hello ')); // the second attempt, from the start
    relay.onMessage(chunk(1, 'dear '));
    relay.onMessage(chunk(2, 'friend'));
    const retried = { ...result, content: 'Hello dear friend' };
    relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 3, result: retried });
    await relay.done;
    expect(contents(written)).toEqual(['Hello ', 'dear ', 'friend', undefined]);
    expect(outcomes).toEqual(['completed']);
  });

  describe('a run that starts the stream over (restart: its lock lapsed, or it was handed back)', () => {
    const rerun = (seq: number, text: string, restart = 2): ReplyMessage => ({ ...chunk(seq, text), restart }) as ReplyMessage;

    it('goes on after what the client has, whatever its chunks’ bounds, and the run before is no longer heard', async () => {
      const { relay, written, outcomes } = setup();
      relay.onMessage(chunk(0, 'Hello '));
      relay.onMessage(chunk(1, 'brave '));
      relay.onMessage(rerun(0, 'Hel')); // the new run, from the start, cut elsewhere
      relay.onMessage(chunk(2, 'world')); // the run before, still sending until it learns its lock is gone
      relay.onMessage(rerun(1, 'lo brave wo'));
      relay.onMessage(rerun(2, 'rld'));
      relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 3, result }); // the run before's end
      relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 3, restart: 2, result } as ReplyMessage);
      await relay.done;
      expect(contents(written)).toEqual(['Hello ', 'brave ', 'wo', 'rld', undefined]);
      expect(outcomes).toEqual(['completed']);
    });

    it('heeds only the latest run', async () => {
      const { relay, written, outcomes } = setup();
      relay.onMessage(chunk(0, 'Hello '));
      relay.onMessage(rerun(0, 'Hello brave '));
      relay.onMessage(rerun(0, 'Hello ', 3));
      relay.onMessage(rerun(1, 'world', 2));
      relay.onMessage(rerun(1, 'brave world', 3));
      relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 2, restart: 3, result } as ReplyMessage);
      await relay.done;
      expect(contents(written)).toEqual(['Hello ', 'brave ', 'world', undefined]);
      expect(outcomes).toEqual(['completed']);
    });

    it('ends with an error event, not a mix, when it says something else than what was sent', async () => {
      const { relay, written, outcomes, cancelled } = setup();
      relay.onMessage(chunk(0, 'Hello '));
      relay.onMessage(chunk(1, 'brave '));
      relay.onMessage(rerun(0, 'Hello dear '));
      await relay.done;
      expect(contents(written)).toEqual(['Hello ', 'brave ', undefined]);
      expect(written.at(-1)).toMatchObject({ error: { type: 'unavailable', message: expect.stringContaining('a re-run of the job answered differently') } });
      expect(outcomes).toEqual(['failed']);
      expect(cancelled()).toBe(1);
    });
  });

  it('ends with an error event and cancels the job when too many chunks wait behind a missing one', async () => {
    const { relay, written, cancelled, outcomes } = setup();
    relay.onMessage(chunk(0, 'Hello '));
    for (let seq = 2; seq <= 258; seq += 1) relay.onMessage(chunk(seq, 'x'));
    await relay.done;
    expect(written).toHaveLength(2);
    expect(written[1]).toMatchObject({
      error: { type: 'unavailable', message: expect.stringContaining('chunk 1 missing, 257 later ones arrived'), request_id: 'req-1' },
    });
    expect(cancelled()).toBe(1);
    expect(outcomes).toEqual(['failed']);
  });

  it('drops a chunk delivered twice, and still fails on an earlier seq with other text (a retried attempt that says something else)', async () => {
    const { relay, written, outcomes } = setup();
    relay.onMessage(chunk(0, 'Hello '));
    relay.onMessage(chunk(1, 'brave '));
    relay.onMessage(chunk(0, 'Hello '));
    relay.onMessage(chunk(1, 'brave '));
    relay.onMessage(chunk(2, 'world'));
    relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 3, result });
    await relay.done;
    expect(contents(written)).toEqual(['Hello ', 'brave ', 'world', undefined]);
    expect(outcomes).toEqual(['completed']);

    const other = setup();
    other.relay.onMessage(chunk(0, 'Hello '));
    other.relay.onMessage(chunk(1, 'brave '));
    other.relay.onMessage(chunk(0, 'Hi '));
    await other.relay.done;
    expect(other.written.at(-1)).toMatchObject({ error: { type: 'unavailable', message: expect.stringContaining('expected 2, got 0') } });
    expect(other.outcomes).toEqual(['failed']);
  });

  it('repairs a lost tail from the result that stream-end carries', async () => {
    const { relay, written } = setup();
    relay.onMessage(chunk(0, 'Hello '));
    relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 2, result });
    await relay.done;
    expect(written.slice(0, 2)).toEqual([
      { content: 'Hello ', model: 'm', provider: 'mock' },
      { content: 'brave world', model: 'm', provider: 'mock' },
    ]);
    expect(written[2]).toMatchObject({ done: true });
  });

  it('rejects with the error when the job fails before anything was written (HTTP status answer)', async () => {
    const { relay, written } = setup();
    relay.onMessage({ kind: 'error', job_id: 'job-1', error: { type: 'upstream_error', message: 'all providers failed' } });
    const error = await relay.done.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(502);
    expect(written).toEqual([]);
  });

  it('gives up on a client that reads too slowly, and cancels the job', async () => {
    const { relay, written, cancelled } = setup(1);
    relay.onMessage(chunk(0, 'Hello '));
    relay.onMessage(chunk(1, 'brave '));
    relay.onMessage(chunk(2, 'world'));
    await relay.done;
    expect(written.at(-1)).toMatchObject({ error: { message: expect.stringContaining('too slowly') } });
    expect(written).toHaveLength(3);
    expect(cancelled()).toBe(1);
  });

  it('after a resubscribe, completes from the stored result or reports the failure', async () => {
    const completed = setup();
    completed.relay.onMessage(chunk(0, 'Hello '));
    completed.relay.onResubscribed({ state: 'completed', result });
    await completed.relay.done;
    expect(contents(completed.written).join('')).toBe('Hello brave world');

    // Still running, its first chunk lost while the channel was down: the rest waits, and the end repairs it.
    const pending = setup();
    pending.relay.onResubscribed({ state: 'pending' });
    pending.relay.onMessage(chunk(1, 'brave '));
    expect(pending.written).toEqual([]);
    pending.relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 3, result });
    await pending.relay.done;
    expect(contents(pending.written).join('')).toBe('Hello brave world');
    expect(pending.outcomes).toEqual(['completed']);

    const failed = setup();
    failed.relay.onMessage(chunk(0, 'Hello '));
    failed.relay.onResubscribed({ state: 'failed', error: new GatewayError('upstream_error', 'boom') });
    await failed.relay.done;
    expect(failed.written.at(-1)).toMatchObject({ error: { type: 'upstream_error' } });
    expect(failed.outcomes).toEqual(['failed']);
  });

  it('cancels the job once when the client goes away, and ignores later messages', async () => {
    const { relay, written, cancelled, outcomes } = setup();
    relay.onMessage(chunk(0, 'Hello '));
    relay.clientGone();
    relay.clientGone();
    relay.onMessage(chunk(1, 'brave'));
    await relay.done;
    expect(cancelled()).toBe(1);
    expect(written).toHaveLength(1);
    expect(outcomes).toEqual(['cancelled']);
  });

  describe('tool calls', () => {
    const toolResult: ChatJobResult = {
      ...result,
      content: 'Let me look.',
      finish_reason: 'tool_calls',
      tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"zone":"CET"}' } },
      ],
    };
    const toolChunk = (seq: number, text: string, toolCalls: Extract<ReplyMessage, { kind: 'chunk' }>['tool_calls']): ReplyMessage => ({
      ...(chunk(seq, text) as Extract<ReplyMessage, { kind: 'chunk' }>),
      tool_calls: toolCalls,
    });
    const toolEvents = (written: unknown[]) =>
      written.flatMap((event) => ((event as { done?: boolean }).done ? [] : ((event as { tool_calls?: unknown[] }).tool_calls ?? [])));

    it('relays text then tool-call fragments in order, and the whole calls at the end', async () => {
      const { relay, written } = setup();
      relay.onMessage(chunk(0, 'Let me look.'));
      relay.onMessage(toolChunk(1, '', [{ index: 0, id: 'call_a', name: 'get_weather', arguments: '{"city"' }]));
      relay.onMessage(
        toolChunk(2, '', [
          { index: 0, arguments: ':"Paris"}' },
          { index: 1, id: 'call_b', name: 'get_time', arguments: '{"zone":"CET"}' },
        ]),
      );
      relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 3, result: toolResult });
      await relay.done;
      expect(contents(written)[0]).toBe('Let me look.');
      expect(toolEvents(written)).toEqual([
        { index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city"' } },
        { index: 0, function: { arguments: ':"Paris"}' } },
        { index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"zone":"CET"}' } },
      ]);
      expect(written.at(-1)).toMatchObject({ done: true, finish_reason: 'tool_calls', tool_calls: toolResult.tool_calls });
    });

    it('repairs lost tool-call fragments from the result: a lost tail and a call never seen', async () => {
      const { relay, written } = setup();
      relay.onMessage(chunk(0, 'Let me look.'));
      relay.onMessage(toolChunk(1, '', [{ index: 0, id: 'call_a', name: 'get_weather', arguments: '{"city"' }]));
      relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 3, result: toolResult });
      await relay.done;
      expect(toolEvents(written).slice(1)).toEqual([
        { index: 0, function: { arguments: ':"Paris"}' } },
        { index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"zone":"CET"}' } },
      ]);
      expect(written.at(-1)).toMatchObject({ done: true });
    });

    it('fails rather than pass on fragments that are not the result’s calls', async () => {
      const { relay, written } = setup();
      relay.onMessage(toolChunk(0, '', [{ index: 0, id: 'call_x', name: 'get_weather', arguments: '{"city":"Rome"' }]));
      relay.onMessage({ kind: 'stream-end', job_id: 'job-1', seq: 1, result: toolResult });
      await relay.done;
      expect(written.at(-1)).toMatchObject({
        error: { type: 'unavailable', message: 'stream chunks were lost in transit (the answer does not continue what was sent)' },
      });
    });

    it('drops a tool-call chunk delivered twice, and fails on the same seq with other fragments', async () => {
      const twice = setup();
      const fragment = toolChunk(0, '', [{ index: 0, id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
      twice.relay.onMessage(fragment);
      twice.relay.onMessage(fragment);
      twice.relay.onMessage({
        kind: 'stream-end',
        job_id: 'job-1',
        seq: 1,
        result: { ...toolResult, content: '', tool_calls: toolResult.tool_calls!.slice(0, 1) },
      });
      await twice.relay.done;
      expect(toolEvents(twice.written)).toHaveLength(1);
      const other = setup();
      other.relay.onMessage(fragment);
      other.relay.onMessage(toolChunk(0, '', [{ index: 0, id: 'call_z', name: 'get_time', arguments: '{}' }]));
      await other.relay.done;
      expect(other.written.at(-1)).toMatchObject({ error: { type: 'unavailable' } });
    });
  });
});
