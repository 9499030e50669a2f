import {
  createReplayFilter,
  formatStreamEventId,
  fromJobError,
  GatewayError,
  jobLost,
  slowReader,
  streamIdle,
  streamLost,
  type ChatJobResult,
  type ReplayFilter,
  type ReplyMessage,
  type StreamChunkMessage,
  type StreamEventId,
  type ToolCallDelta,
} from '@gateway/contracts';
import type { Metrics } from '@gateway/observability';
import type { JobOutcome } from './result-waiter';
import { contentHash, createSentText } from './sent-text';
import type { SseWriter } from './sse-writer';
import { gatewayStreamFormat, type StreamFormat } from './stream-formats';
import type { StreamListener } from './stream-hub';

/** Why a stream failed, and where it stood (for the log: the client's error event says less). */
export interface StreamFailure {
  error: GatewayError;
  /** Chunk messages relayed before it ended. */
  relayed: number;
  /** Chunks held waiting for a missing earlier one. */
  waiting: number;
  /** Whether anything had been written to the client. */
  started: boolean;
}

/** Chunks a stream holds while waiting for a missing earlier one, before it gives up on it. */
const MAX_CHUNKS_AHEAD = 256;

export interface StreamRelayOptions {
  jobId: string;
  requestId: string;
  writer: SseWriter;
  /** What the events say (default: the gateway's own `/v1/chat/stream` format). */
  format?: StreamFormat;
  /** `: ping` when nothing was written for this long. */
  keepAliveMs: number;
  /** Give up (timeout) when no message of the job arrives for this long. */
  idleTimeoutMs: number;
  /** Stops the job (the client is gone, or the stream cannot go on). */
  cancelJob: () => void;
  /** Called once when the stream is over, whatever the outcome. */
  onFinish: (outcome: 'completed' | 'failed' | 'cancelled', failure?: StreamFailure) => void;
  metrics: Pick<Metrics, 'streamTimeToFirstToken'>;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /** A resumed stream: the `Last-Event-ID` its client has; events up to it are not sent again. */
  resumeAfter?: StreamEventId | undefined;
  /**
   * The job is still being enqueued: no `: ping` until `enqueued()`, so that a refusal (429, 503) is still answered
   * with its status rather than after a 200 the ping would have sent.
   */
  enqueuing?: boolean;
}

/**
 * Relays one job's stream messages to its SSE response, in seq order (see relayChunk for duplicates, reordering
 * and gaps; nothing out of order is passed on). `done` resolves when the stream is over, and rejects
 * with the GatewayError when it failed before anything was written (so the caller answers with its HTTP status).
 */
export function createStreamRelay(options: StreamRelayOptions): StreamListener & {
  done: Promise<void>;
  clientGone(): void;
  enqueued(): void;
  failed(error: GatewayError): void;
  dispose(): void;
  handOver(): StreamEventId | undefined | 'over';
} {
  const { writer } = options;
  const format = options.format ?? gatewayStreamFormat();
  /** The next chunk seq the run being relayed is to send. */
  let expected = 0;
  /**
   * The run whose messages are relayed (1: the first; a higher one started the stream over, see `restart`), the
   * chunks relayed of the runs before it (its event ids follow theirs), and what it says again of what the client
   * has (told apart from what it says beyond).
   */
  let run = 1;
  let earlierRuns = 0;
  let replay: ReplayFilter | undefined;
  const relayedCount = () => earlierRuns + expected;
  /** What the client has of the answer's text. */
  const sentText = createSentText();
  let sentReasoning = false;
  let sentAnything = false;
  /** What the client has of each tool call, by index (calls are numbered 0, 1, … in the order they start). */
  const sentCalls: { id: string | undefined; name: string | undefined; arguments: string }[] = [];
  /** Chunks that arrived before one they follow, by seq. */
  const ahead = new Map<number, StreamChunkMessage>();
  /** A hash of what each relayed chunk said (text and tool-call fragments), by seq: a repeat is told from other content by it. */
  const relayed: number[] = [];
  const signature = (message: StreamChunkMessage) =>
    message.tool_calls || message.reasoning_deltas
      ? `${message.text}\u0000${JSON.stringify(message.tool_calls ?? null)}\u0000${JSON.stringify(message.reasoning_deltas ?? null)}`
      : message.text;
  let finished = false;
  let wroteSinceTick = false;
  let settle!: { resolve: () => void; reject: (error: GatewayError) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));

  /**
   * Every event's `id:` is `<seq>-<n>`: the n-th event written for the message seq (a chunk's own seq; the end or an
   * error takes the seq after the last chunk relayed). The same messages give the same ids on any instance, so a
   * resumed stream skips exactly what its client has.
   */
  const position: StreamEventId = { seq: 0, part: 0 };
  const at = (seq: number) => {
    position.seq = seq;
    position.part = 0;
  };
  const resumeAfter = options.resumeAfter;
  const alreadySent = (id: StreamEventId) =>
    resumeAfter !== undefined && (id.seq < resumeAfter.seq || (id.seq === resumeAfter.seq && id.part <= resumeAfter.part));
  /** The last event the client has: the last written (ids only grow), else the one it resumed after. */
  let clientHas: StreamEventId | undefined = resumeAfter;
  const emit = (write: (id: string) => boolean): boolean => {
    const id: StreamEventId = { seq: position.seq, part: position.part };
    position.part += 1;
    if (alreadySent(id)) return true;
    clientHas = id;
    return write(formatStreamEventId(id));
  };
  const emitEvent = (payload: unknown) => emit((id) => writer.event(payload, id, format.eventName?.(payload)));
  const emitEvents = (payloads: readonly unknown[]) => payloads.reduce<boolean>((written, payload) => emitEvent(payload) && written, true);

  const ping = format.keepAlive
    ? () => format.keepAlive!().reduce<boolean>((written, payload) => writer.event(payload, undefined, format.eventName?.(payload)) && written, true)
    : () => writer.comment('ping');
  let enqueuing = options.enqueuing === true;
  const keepAlive = setInterval(() => {
    if (enqueuing && !writer.started) return;
    if (!wroteSinceTick && !ping()) fail(slowReader(), true);
    wroteSinceTick = false;
  }, options.keepAliveMs);
  // One timer for the stream's life, pushed back by each message (refresh: no new timer per token).
  const idle = setTimeout(() => fail(streamIdle(options.idleTimeoutMs), true), options.idleTimeoutMs);

  const finish = (outcome: 'completed' | 'failed' | 'cancelled', failure?: StreamFailure) => {
    finished = true;
    clearInterval(keepAlive);
    clearTimeout(idle);
    options.onFinish(outcome, failure);
  };
  function fail(error: GatewayError, cancel: boolean): void {
    if (finished) return;
    finish('failed', { error, relayed: relayedCount(), waiting: ahead.size, started: writer.started });
    if (cancel) options.cancelJob();
    if (!writer.started) {
      settle.reject(error);
      return;
    }
    at(relayedCount());
    emitEvents(format.error(error, options.requestId));
    writer.end();
    settle.resolve();
  }
  const firstToken = () => {
    if (!sentAnything) options.metrics.streamTimeToFirstToken.observe((performance.now() - options.startedAt) / 1000);
    sentAnything = true;
    wroteSinceTick = true;
  };
  const sendText = (text: string, model: string, provider: ChatJobResult['provider']): boolean => {
    firstToken();
    sentText.append(text);
    return emitEvents(format.chunk(text, model, provider));
  };
  const sendToolCalls = (deltas: readonly ToolCallDelta[], model: string, provider: ChatJobResult['provider']): boolean => {
    firstToken();
    for (const delta of deltas) {
      const call = (sentCalls[delta.index] ??= { id: undefined, name: undefined, arguments: '' });
      if (delta.id !== undefined) call.id = delta.id;
      if (delta.name !== undefined) call.name = delta.name;
      call.arguments += delta.arguments;
    }
    return emitEvents(format.toolCalls(deltas, model, provider));
  };
  /** The tool-call fragments the client still lacks of the result's calls, or undefined when what it has is not theirs. */
  const missingToolCalls = (result: ChatJobResult): ToolCallDelta[] | undefined => {
    const calls = result.tool_calls ?? [];
    if (sentCalls.length > calls.length) return undefined;
    const missing: ToolCallDelta[] = [];
    for (const [index, call] of calls.entries()) {
      const sent = sentCalls[index];
      if (!sent) {
        missing.push({ index, id: call.id, name: call.function.name, arguments: call.function.arguments });
        continue;
      }
      if ((sent.id !== undefined && sent.id !== call.id) || !call.function.arguments.startsWith(sent.arguments)) return undefined;
      const rest = call.function.arguments.slice(sent.arguments.length);
      if (rest !== '') missing.push({ index, arguments: rest });
    }
    return missing;
  };
  const complete = (result: ChatJobResult) => {
    // The result holds the whole text and tool calls: what the client has not seen yet is their tails.
    const missingCalls = missingToolCalls(result);
    if (!result.content.startsWith(sentText.text()) || !missingCalls) {
      fail(streamLost('the answer does not continue what was sent'), false);
      return;
    }
    at(relayedCount());
    const rest = result.content.slice(sentText.length);
    if (rest !== '') sendText(rest, result.model, result.provider);
    if (missingCalls.length > 0) sendToolCalls(missingCalls, result.model, result.provider);
    finish('completed');
    emitEvents(format.done(result, options.jobId));
    const terminator = format.terminator;
    if (terminator !== undefined) emit((id) => writer.data(terminator, id));
    writer.start();
    writer.end();
    settle.resolve();
  };

  /** What of a restarted run's chunk the client lacks (text, tool-call fragments, reasoning); throws when it diverges. */
  const beyondSent = (message: StreamChunkMessage, filter: ReplayFilter): StreamChunkMessage => {
    const text = filter.text(message.text);
    const toolCalls = (message.tool_calls ?? []).flatMap((delta) => filter.toolCall(delta) ?? []);
    const reasoning = (message.reasoning_deltas ?? []).flatMap((delta) => filter.reasoning(delta) ?? []);
    return {
      ...message,
      text,
      ...(message.tool_calls ? { tool_calls: toolCalls } : {}),
      ...(message.reasoning_deltas ? { reasoning_deltas: reasoning } : {}),
    };
  };
  const relayInOrder = (message: StreamChunkMessage): boolean => {
    at(earlierRuns + message.seq);
    expected += 1;
    relayed.push(contentHash(signature(message)));
    let beyond = message;
    if (replay) {
      try {
        beyond = beyondSent(message, replay);
      } catch (error) {
        lostInTransit(error instanceof GatewayError ? error : streamLost());
        return false;
      }
    }
    // A message's reasoning comes before its text, its text before its tool-call fragments (the worker keeps that order).
    let written = true;
    if (beyond.reasoning_deltas && beyond.reasoning_deltas.length > 0 && format.reasoning) {
      firstToken();
      sentReasoning = true;
      written = emitEvents(format.reasoning(beyond.reasoning_deltas, beyond.model, beyond.provider));
    }
    written = (beyond.text === '' || sendText(beyond.text, beyond.model, beyond.provider)) && written;
    if (beyond.tool_calls && beyond.tool_calls.length > 0) written = sendToolCalls(beyond.tool_calls, beyond.model, beyond.provider) && written;
    if (written) return true;
    fail(slowReader(), true);
    return false;
  };
  /**
   * Pub/sub may deliver a message twice or out of order (seen on a cluster while its subscriber moves): a chunk
   * already relayed (same seq, same text) is dropped, and chunks ahead of a missing one wait for it. A missing chunk
   * that never comes is repaired from the result at the stream's end; past MAX_CHUNKS_AHEAD waiting, or an earlier
   * seq with other text, the stream ends with an error.
   */
  const lostInTransit = (error: GatewayError) => fail(error, true);
  const relayChunk = (message: StreamChunkMessage): void => {
    if (message.seq < expected) {
      // A repeat, or a run starting over that did not say so: chunks held for later may belong to the run before.
      ahead.clear();
      if (relayed[message.seq] !== contentHash(signature(message))) lostInTransit(streamLost(`expected ${expected}, got ${message.seq}`));
      return;
    }
    if (message.seq > expected) {
      ahead.set(message.seq, message);
      if (ahead.size > MAX_CHUNKS_AHEAD) lostInTransit(streamLost(`chunk ${expected} missing, ${ahead.size} later ones arrived`));
      return;
    }
    let next: StreamChunkMessage | undefined = message;
    while (next && relayInOrder(next)) {
      ahead.delete(expected - 1);
      next = ahead.get(expected);
    }
  };
  /**
   * Whether a message belongs to the run being relayed. A job whose stream is not kept, run again after its stream
   * began (its lock lapsed under load and the stalled check gave it to another run, or a stopping worker handed it
   * back), starts the stream over: its messages say so (`restart`, the run's number), seq from 0. From its first
   * message on, the relay follows that run: what it says again is checked against what the client has and not sent
   * twice, what it says beyond is relayed, and the earlier run (which may still send until it learns its lock is
   * gone) is no longer heard. Its event ids follow those already written.
   */
  const ofCurrentRun = (message: ReplyMessage): boolean => {
    const of = ('restart' in message ? message.restart : undefined) ?? 1;
    if (of < run) return false;
    if (of > run) {
      run = of;
      earlierRuns += expected;
      expected = 0;
      ahead.clear();
      relayed.length = 0;
      replay = createReplayFilter(sentSoFar());
    }
    return true;
  };
  /** What the client has, as the one chunk message a replay filter compares a run that starts over with. */
  const sentSoFar = (): ReplyMessage[] =>
    sentText.length === 0 && sentCalls.length === 0 && !sentReasoning
      ? []
      : [
          {
            kind: 'chunk',
            job_id: options.jobId,
            seq: 0,
            text: sentText.text(),
            ...(sentCalls.length > 0
              ? {
                  tool_calls: sentCalls.map((call, index) => ({
                    index,
                    ...(call.id !== undefined ? { id: call.id } : {}),
                    ...(call.name !== undefined ? { name: call.name } : {}),
                    arguments: call.arguments,
                  })),
                }
              : {}),
            model: '',
            provider: 'openrouter',
          },
        ];

  return {
    done,
    onMessage(message: ReplyMessage) {
      if (finished) return;
      idle.refresh();
      if (!ofCurrentRun(message)) return;
      switch (message.kind) {
        case 'chunk':
          relayChunk(message);
          return;
        case 'stream-end':
          // A tail lost in transit is repaired from the result, which carries the whole text.
          complete(message.result);
          return;
        case 'error':
          fail(fromJobError(message.error), false);
          return;
        case 'result':
          complete(message.result);
          return;
      }
    },
    onResubscribed(outcome: JobOutcome) {
      if (finished) return;
      if (outcome.state === 'completed') complete(outcome.result);
      else if (outcome.state === 'failed') fail(outcome.error, false);
      else if (outcome.state === 'missing') fail(jobLost(), false);
      // pending: a chunk lost meanwhile leaves a gap the later ones wait behind, repaired at the stream's end.
    },
    clientGone() {
      if (finished) return;
      finish('cancelled');
      options.cancelJob();
      settle.resolve();
    },
    /** The job is in the queue: pings may start. */
    enqueued() {
      enqueuing = false;
    },
    /**
     * The job could not be enqueued (or it is not known whether it was) after the stream began (its chunks came
     * before the enqueue's answer): the stream ends with the error event, and the job, if it is there, is cancelled.
     */
    failed(error: GatewayError) {
      fail(error, true);
    },
    /** Stops the timers of a stream that never began (its job could not be enqueued). */
    dispose() {
      finished = true;
      clearInterval(keepAlive);
      clearTimeout(idle);
    },
    /**
     * Stops relaying a stream that began here, for its response to go on from elsewhere (the kept stream of a job
     * that already existed): the id of the last event its client has (undefined: none), or 'over' when the stream
     * ended already (answered whole, failed, or its client gone).
     */
    handOver() {
      if (finished) return 'over';
      this.dispose();
      return clientHas;
    },
  };
}
