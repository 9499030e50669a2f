import type { Response } from 'express';

/** Resolves once the client has taken what was written, or is gone; neither listener outlives the wait. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.once('drain', done).once('close', done);
  });
}

/**
 * Writes JSONL pieces as they come (a page of lines each), waiting for the client to drain before the next, so a
 * large file never sits in memory; a failure mid-way breaks the stream (`onBroken` hears why), so the client never
 * takes a short file for a complete one.
 */
export async function streamJsonLines(res: Response, pieces: AsyncIterable<string | Buffer>, onBroken: (error: unknown) => void): Promise<void> {
  res.status(200).setHeader('content-type', 'application/jsonl; charset=utf-8');
  try {
    for await (const piece of pieces) {
      if (res.destroyed) return;
      // As bytes: a string chunk of a chunked response is measured (a UTF-8 pass) before it is encoded (another).
      if (!res.write(typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece)) await drained(res);
    }
  } catch (error) {
    onBroken(error);
    res.destroy();
    return;
  }
  res.end();
}
