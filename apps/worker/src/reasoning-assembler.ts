import type { ReasoningBlock, ReasoningDelta } from '@gateway/contracts';

/** The whole reasoning blocks of a stream, from its fragments (text joined, signature and redacted data kept). */
export function createReasoningAssembler() {
  const blocks: ReasoningBlock[] = [];
  return {
    accept(delta: ReasoningDelta): void {
      const block = (blocks[delta.index] ??= {});
      if (delta.text !== undefined) block.text = (block.text ?? '') + delta.text;
      if (delta.signature !== undefined) block.signature = (block.signature ?? '') + delta.signature;
      if (delta.redacted !== undefined) block.redacted = (block.redacted ?? '') + delta.redacted;
    },
    /** The blocks in order (a number skipped by the upstream is left out). */
    blocks: (): ReasoningBlock[] => blocks.filter((block): block is ReasoningBlock => block !== undefined),
  };
}
