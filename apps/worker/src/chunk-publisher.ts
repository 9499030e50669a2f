import type { ProviderId, ReasoningDelta, ReplyMessage, ToolCallDelta } from '@gateway/contracts';

export interface ChunkPublisherOptions {
  jobId: string;
  provider: ProviderId;
  model: string;
  /** The first message's seq (a resumable job run again goes on after the chunks kept from before). */
  firstSeq?: number;
  /** A run that starts the stream over (see the `restart` of stream messages): carried by every message. */
  restart?: number | undefined;
  /** Sends one message on the reply channel (one PUBLISH). */
  publish: (message: ReplyMessage) => Promise<void>;
}

/** A chunk message not sent yet: its reasoning comes before its text, its text before its tool-call fragments. */
interface PendingChunk {
  reasoning?: ReasoningDelta[];
  text: string;
  toolCalls: ToolCallDelta[];
}

/**
 * Publishes a stream's text and tool-call fragments with few PUBLISH commands: at most one in flight; what
 * arrives meanwhile (or within the same turn of the event loop) goes out as one message when it returns. The
 * first token is sent the moment it arrives, a lone token waits no timer, a burst (2,000 chunks in one TCP read)
 * becomes a handful of messages. Order is kept: text that follows a tool-call fragment starts a new message
 * (a message's text comes before its fragments), and argument fragments of one call are joined. Messages carry
 * seq 0, 1, 2, … in order.
 */
export function createChunkPublisher(options: ChunkPublisherOptions) {
  const pending: PendingChunk[] = [];
  const firstSeq = options.firstSeq ?? 0;
  let seq = firstSeq;
  let inFlight: Promise<void> | undefined;
  let scheduled = false;
  let failure: unknown;

  const flush = () => {
    scheduled = false;
    const next = pending.shift();
    if (inFlight || !next) {
      if (next) pending.unshift(next);
      return;
    }
    // After a failed publish nothing more goes out: a later chunk would leave a gap before it (or, refused for a
    // lapsed lock, belong to a stream another run goes on with). finish() throws the failure.
    if (failure !== undefined) {
      pending.length = 0;
      return;
    }
    const message: ReplyMessage = {
      kind: 'chunk',
      job_id: options.jobId,
      seq,
      ...(options.restart !== undefined ? { restart: options.restart } : {}),
      ...(next.reasoning ? { reasoning_deltas: next.reasoning } : {}),
      text: next.text,
      ...(next.toolCalls.length > 0 ? { tool_calls: next.toolCalls } : {}),
      model: options.model,
      provider: options.provider,
    };
    seq += 1;
    inFlight = options.publish(message).then(sent, failed);
  };
  // Made once per stream, not per message: one promise a message.
  const sent = () => {
    inFlight = undefined;
    if (pending.length > 0) schedule();
  };
  const failed = (error: unknown) => {
    failure ??= error;
    sent();
  };
  const schedule = () => {
    if (scheduled || inFlight) return;
    scheduled = true;
    setImmediate(flush);
  };
  // The first token goes out at once (time to first token); later ones coalesce behind whatever is in flight.
  const sendSoon = () => (seq === firstSeq && !inFlight ? flush() : schedule());

  return {
    push(text: string): void {
      if (text === '') return;
      const last = pending.at(-1);
      if (last && last.toolCalls.length === 0) last.text += text;
      else pending.push({ text, toolCalls: [] });
      sendSoon();
    },
    /** Reasoning goes in a message of its own unless the last one pending holds only reasoning. */
    pushReasoning(delta: ReasoningDelta): void {
      let last = pending.at(-1);
      if (!last || last.text !== '' || last.toolCalls.length > 0 || !last.reasoning) {
        last = { reasoning: [], text: '', toolCalls: [] };
        pending.push(last);
      }
      const reasoning = last.reasoning!;
      const previous = reasoning.at(-1);
      if (previous && previous.index === delta.index && delta.text !== undefined && previous.signature === undefined && previous.redacted === undefined)
        previous.text = (previous.text ?? '') + delta.text;
      else reasoning.push({ ...delta });
      sendSoon();
    },
    pushToolCall(delta: ToolCallDelta): void {
      let last = pending.at(-1);
      if (!last) {
        last = { text: '', toolCalls: [] };
        pending.push(last);
      }
      const previous = last.toolCalls.at(-1);
      if (previous && previous.index === delta.index && delta.id === undefined && delta.name === undefined) previous.arguments += delta.arguments;
      else last.toolCalls.push({ ...delta });
      sendSoon();
    },
    /** Sends what is left; resolves with the number of chunk messages sent, or throws the first publish failure. */
    async finish(): Promise<number> {
      for (;;) {
        if (inFlight) await inFlight;
        else if (pending.length > 0 && failure === undefined) flush();
        else break;
      }
      if (failure !== undefined) throw failure;
      return seq;
    },
    /** Chunk messages sent so far. */
    sent: () => seq,
    /** The first publish failure, if one failed (nothing is sent after it). */
    failure: (): unknown => failure,
  };
}

export type ChunkPublisher = ReturnType<typeof createChunkPublisher>;
