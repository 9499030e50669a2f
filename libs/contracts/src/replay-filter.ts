import { streamLost } from './error-catalogue';
import type { ReasoningDelta, ReplyMessage, ToolCallDelta } from './job';

/**
 * What a run of a job says again, told from what it says beyond the stream its readers already have. A resumable
 * job run again (its worker died, its lock lapsed, or it was handed back) finds its earlier attempt's messages kept:
 * the worker lets through only what the new attempt says beyond them, so the kept stream goes on without a repeat
 * (seq continuing after the kept chunks). A job whose stream is not kept starts it over (`restart`): the API relaying
 * it filters the new run against what its client was sent. An attempt that says something else than what was
 * already sent ends the stream (`streamLost`), as a client cannot take back what it was sent.
 */
export function createReplayFilter(kept: readonly ReplyMessage[]) {
  const chunks = kept.filter((message) => message.kind === 'chunk');
  const keptText = chunks.map((chunk) => chunk.text).join('');
  const keptCalls: { started: boolean; arguments: string }[] = [];
  for (const chunk of chunks) {
    for (const delta of chunk.tool_calls ?? []) {
      const call = (keptCalls[delta.index] ??= { started: false, arguments: '' });
      if (delta.id !== undefined || delta.name !== undefined) call.started = true;
      call.arguments += delta.arguments;
    }
  }
  let textSeen = 0;
  const argumentsSeen: number[] = [];
  const diverged = () => streamLost('a re-run of the job answered differently from what was already sent');

  /** The part of `text` (at `seen` of a kept `before`) not kept yet; throws when it disagrees with the kept part. */
  const beyond = (before: string, seen: number, text: string): string => {
    const overlap = Math.max(0, Math.min(text.length, before.length - seen));
    if (text.slice(0, overlap) !== before.slice(seen, seen + overlap)) throw diverged();
    return text.slice(overlap);
  };

  // The earlier attempt already ended the stream (it died after the end, before the job completed): its readers
  // have the whole answer, so the new attempt sends nothing.
  const ended = kept.some((message) => message.kind === 'stream-end' || message.kind === 'error');
  return {
    /** Chunk messages already kept: the new attempt's seq starts there. */
    firstSeq: chunks.length,
    /** Whether the earlier attempt already ended the stream (its readers have the end). */
    ended,
    /** The text still to send of a new text delta. */
    text(text: string): string {
      if (ended) return '';
      const rest = beyond(keptText, textSeen, text);
      textSeen += text.length;
      return rest;
    },
    /** Reasoning of a re-run is sent only when nothing of the earlier attempt was kept (it cannot be matched up). */
    reasoning(delta: ReasoningDelta): ReasoningDelta | undefined {
      return ended || chunks.length > 0 ? undefined : delta;
    },
    /** The tool-call fragment still to send, or undefined when it was kept already. */
    toolCall(delta: ToolCallDelta): ToolCallDelta | undefined {
      if (ended) return undefined;
      const call = keptCalls[delta.index];
      if (!call) return delta;
      const seen = argumentsSeen[delta.index] ?? 0;
      const rest = beyond(call.arguments, seen, delta.arguments);
      argumentsSeen[delta.index] = seen + delta.arguments.length;
      const startsAgain = delta.id !== undefined || delta.name !== undefined;
      if (startsAgain && call.started) {
        return rest === '' ? undefined : { index: delta.index, arguments: rest };
      }
      return rest === '' && !startsAgain ? undefined : { ...delta, arguments: rest };
    },
  };
}

export type ReplayFilter = ReturnType<typeof createReplayFilter>;
