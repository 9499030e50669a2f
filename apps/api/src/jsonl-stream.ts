import type { Response } from 'express';

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
      if (!res.write(piece)) await new Promise<void>((resolve) => res.once('drain', () => resolve()).once('close', () => resolve()));
    }
  } catch (error) {
    onBroken(error);
    res.destroy();
    return;
  }
  res.end();
}
