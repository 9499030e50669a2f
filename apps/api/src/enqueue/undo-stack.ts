/**
 * The undos of the steps done so far: a step that succeeds pushes its own undo beside it, and when a later step
 * fails they run newest first. An undo that fails is skipped (what it would have given back lapses with its
 * lifetime); the step's error is what the caller sees.
 */
export interface UndoStack {
  push(undo: () => Promise<unknown>): void;
  /** Runs every undo pushed, newest first, then throws `error`. */
  unwind(error: unknown): Promise<never>;
}

export function createUndoStack(): UndoStack {
  const undos: (() => Promise<unknown>)[] = [];
  return {
    push(undo) {
      undos.push(undo);
    },
    async unwind(error) {
      for (const undo of undos.reverse()) await undo().catch(() => undefined);
      throw error;
    },
  };
}
