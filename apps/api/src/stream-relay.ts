import { GatewayError, fromJobError, type ChatJobResult, type ReplyMessage, type StreamChunkMessage } from '@gateway/contracts';
import type { Metrics } from '@gateway/observability';
import type { JobOutcome } from './result-waiter';
import type { SseWriter } from './sse-writer';
import { gatewayStreamFormat, type StreamFormat } from './stream-formats';
import type { StreamListener } from './stream-hub';

/** Chunks a stream holds while waiting for a missing earlier one, before it gives up on it. */
const MAX_CHUNKS_AHEAD = 256;

/** Options of one relayed stream. */
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
  onFinish: (outcome: 'completed' | 'failed' | 'cancelled') => void;
  metrics: Pick<Metrics, 'streamTimeToFirstToken'>;
  /** performance.now() when the request arrived. */
  startedAt: number;
}

/**
 * Relays one job's stream messages to its SSE response, in seq order (see relayChunk for duplicates, reordering
 * and gaps; nothing out of order is passed on). `done` resolves when the stream is over, and rejects
 * with the GatewayError when it failed before anything was written (so the caller answers with its HTTP status).
 */
export function createStreamRelay(options: StreamRelayOptions): StreamListener & { done: Promise<void>; clientGone(): void; dispose(): void } {
  const { writer } = options;
  const format = options.format ?? gatewayStreamFormat();
  let expected = 0;
  let sentText = '';
  /** Chunks that arrived before one they follow, by seq. */
  const ahead = new Map<number, StreamChunkMessage>();
  /** Where each relayed chunk ends in sentText, by seq. */
  const chunkEnds: number[] = [];
  const relayedChunk = (seq: number) => sentText.slice(seq === 0 ? 0 : chunkEnds[seq - 1], chunkEnds[seq]);
  let finished = false;
  let wroteSinceTick = false;
  let settle!: { resolve: () => void; reject: (error: GatewayError) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));

  const keepAlive = setInterval(() => {
    if (!wroteSinceTick && !writer.comment('ping')) fail(new GatewayError('unavailable', 'the client reads too slowly'), true);
    wroteSinceTick = false;
  }, options.keepAliveMs);
  let idle = setTimeout(() => onIdle(), options.idleTimeoutMs);
  const onIdle = () => fail(new GatewayError('timeout', `no part of the stream arrived in ${options.idleTimeoutMs} ms`), true);

  const finish = (outcome: 'completed' | 'failed' | 'cancelled') => {
    finished = true;
    clearInterval(keepAlive);
    clearTimeout(idle);
    options.onFinish(outcome);
  };
  function fail(error: GatewayError, cancel: boolean): void {
    if (finished) return;
    finish('failed');
    if (cancel) options.cancelJob();
    if (!writer.started) {
      settle.reject(error);
      return;
    }
    writer.event(format.error(error, options.requestId));
    writer.end();
    settle.resolve();
  }
  const sendText = (text: string, model: string, provider: ChatJobResult['provider']): boolean => {
    if (sentText === '') options.metrics.streamTimeToFirstToken.observe((performance.now() - options.startedAt) / 1000);
    sentText += text;
    wroteSinceTick = true;
    return writer.event(format.chunk(text, model, provider));
  };
  const complete = (result: ChatJobResult) => {
    // The result holds the whole text: what the client has not seen yet is its tail.
    if (!result.content.startsWith(sentText)) {
      fail(new GatewayError('unavailable', 'stream chunks were lost in transit'), false);
      return;
    }
    const rest = result.content.slice(sentText.length);
    if (rest !== '') sendText(rest, result.model, result.provider);
    finish('completed');
    for (const event of format.done(result, options.jobId)) writer.event(event);
    if (format.terminator !== undefined) writer.data(format.terminator);
    writer.end();
    settle.resolve();
  };

  const relayInOrder = (message: StreamChunkMessage): boolean => {
    expected += 1;
    chunkEnds.push(sentText.length + message.text.length);
    if (sendText(message.text, message.model, message.provider)) return true;
    fail(new GatewayError('unavailable', 'the client reads too slowly'), true);
    return false;
  };
  /**
   * Pub/sub may deliver a message twice or out of order (seen on a cluster while its subscriber moves): a chunk
   * already relayed (same seq, same text) is dropped, and chunks ahead of a missing one wait for it. A missing chunk
   * that never comes is repaired from the result at the stream's end; past MAX_CHUNKS_AHEAD waiting, or an earlier
   * seq with other text (a retried attempt saying something else), the stream ends with an error.
   */
  const lostInTransit = (detail: string) => fail(new GatewayError('unavailable', `stream chunks were lost in transit (${detail})`), true);
  const relayChunk = (message: StreamChunkMessage): void => {
    if (message.seq < expected) {
      // A repeat, or a retried attempt starting over: chunks held for later may belong to the attempt before.
      ahead.clear();
      if (relayedChunk(message.seq) !== message.text) lostInTransit(`expected ${expected}, got ${message.seq}`);
      return;
    }
    if (message.seq > expected) {
      ahead.set(message.seq, message);
      if (ahead.size > MAX_CHUNKS_AHEAD) lostInTransit(`chunk ${expected} missing, ${ahead.size} later ones arrived`);
      return;
    }
    let next: StreamChunkMessage | undefined = message;
    while (next && relayInOrder(next)) {
      ahead.delete(expected - 1);
      next = ahead.get(expected);
    }
  };

  return {
    done,
    onMessage(message: ReplyMessage) {
      if (finished) return;
      clearTimeout(idle);
      idle = setTimeout(onIdle, options.idleTimeoutMs);
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
      else if (outcome.state === 'missing') fail(new GatewayError('unavailable', 'the job was lost from the queue'), false);
      // pending: a chunk lost meanwhile leaves a gap the later ones wait behind, repaired at the stream's end.
    },
    clientGone() {
      if (finished) return;
      finish('cancelled');
      options.cancelJob();
      settle.resolve();
    },
    /** Stops the timers of a stream that never began (its job could not be enqueued). */
    dispose() {
      finished = true;
      clearInterval(keepAlive);
      clearTimeout(idle);
    },
  };
}
