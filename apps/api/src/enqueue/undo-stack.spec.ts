import { createUndoStack } from './undo-stack';

describe('createUndoStack', () => {
  it('runs the undos of the steps done, newest first, past one that fails, and throws the step error', async () => {
    const undone: string[] = [];
    const undo = createUndoStack();
    undo.push(async () => void undone.push('reserve'));
    undo.push(async () => {
      undone.push('record');
      throw new Error('redis down');
    });
    undo.push(async () => void undone.push('rounds'));
    const failure = new Error('add failed');
    await expect(undo.unwind(failure)).rejects.toBe(failure);
    expect(undone).toEqual(['rounds', 'record', 'reserve']);
  });
});
