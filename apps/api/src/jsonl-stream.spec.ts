import { get, type Server } from 'node:http';
import express, { type Response } from 'express';
import { streamJsonLines } from './jsonl-stream';

/** A page of `size` bytes of JSONL (lines of x's), its index first. */
const page = (index: number, size: number) => `${JSON.stringify({ index, pad: 'x'.repeat(size - 30) })}\n`;

let server: Server;
let baseUrl: string;
/** The most 'drain' and 'close' listeners a response had while it was written. */
const most = { drain: 0, close: 0 };
beforeAll(async () => {
  const app = express();
  const pieces = async function* (res: Response, count: number, failAt?: number) {
    for (let index = 0; index < count; index += 1) {
      if (index === failAt) throw new Error('Redis went away');
      most.drain = Math.max(most.drain, res.listenerCount('drain'));
      most.close = Math.max(most.close, res.listenerCount('close'));
      yield page(index, 64 * 1024);
    }
  };
  app.get('/whole', (_req, res) => void streamJsonLines(res, pieces(res, 200), () => undefined));
  app.get('/broken', (_req, res) => void streamJsonLines(res, pieces(res, 50, 20), () => undefined));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** Reads a response slowly (a pause after each chunk); resolves with its text, or how it broke. */
function readSlowly(path: string): Promise<{ text: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    get(`${baseUrl}${path}`, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        response.pause();
        setTimeout(() => response.resume(), 2);
      });
      response.once('end', () => resolve({ text, complete: response.complete }));
      response.once('aborted', () => resolve({ text, complete: false }));
      response.once('error', () => resolve({ text, complete: false }));
    }).once('error', reject);
  });
}

describe('streamJsonLines', () => {
  it('writes every piece in order to a slow reader, waiting for it to drain without piling up listeners', async () => {
    const { text, complete } = await readSlowly('/whole');
    expect(complete).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { index: number }).index)).toEqual(Array.from({ length: 200 }, (_, index) => index));
    // One wait at a time: a listener each for drain and close, none left over from the waits before (plus the
    // response's own close listeners).
    expect(most.drain).toBeLessThanOrEqual(1);
    expect(most.close).toBeLessThanOrEqual(3);
  });

  it('breaks the stream when a piece cannot be read: never a short file that ends cleanly', async () => {
    const { text, complete } = await readSlowly('/broken');
    expect(complete).toBe(false);
    expect(text.split('\n').length).toBeLessThan(21);
  });
});
