import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { holdStreams, tokensOf } from './stream-hold';

const chunk = (content: string, finish: string | null = null) =>
  `data: {"id":"x","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}\n\n`;

/** Answers by path, as the bench upstream or a relay would (or would not). */
function answer(path: string, res: ServerResponse): void {
  if (path === '/busy') {
    res.writeHead(429).end('{}');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (path === '/hang') {
    res.write(chunk('t0 '));
    return;
  }
  if (path === '/slow') {
    res.write(chunk('t0 '));
    setTimeout(() => res.end(`${chunk('t1 ')}${chunk('t2 ')}${chunk('', 'stop')}data: [DONE]\n\n`), 200);
    return;
  }
  if (path === '/joined') {
    // A relay may join tokens that arrived together into one chunk.
    res.end(`${chunk('t0 t1 ')}${chunk('t2 ')}${chunk('', 'stop')}data: [DONE]\n\n`);
    return;
  }
  if (path === '/short') {
    res.end(`${chunk('t0 ')}${chunk('t1 ')}${chunk('', 'stop')}data: [DONE]\n\n`);
    return;
  }
  if (path === '/swapped') {
    res.end(`${chunk('t1 ')}${chunk('t0 ')}${chunk('t2 ')}${chunk('', 'stop')}data: [DONE]\n\n`);
    return;
  }
  if (path === '/no-end') {
    res.end(`${chunk('t0 ')}${chunk('t1 ')}${chunk('t2 ')}`);
    return;
  }
  if (path === '/error') {
    res.end(`${chunk('t0 ')}data: {"error":{"type":"upstream_error","message":"gone"}}\n\n`);
    return;
  }
  res.end(`${chunk('t0 ')}${chunk('t1 ')}${chunk('t2 ')}${chunk('', 'stop')}data: [DONE]\n\n`);
}

describe('holdStreams', () => {
  let server: Server;
  let base: URL;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(req.url ?? '/', res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const hold = (path: string, streams = 4, deadlineMs = 5000) =>
    holdStreams({ url: new URL(path, base), body: '{}', streams, tokens: 3, deadlineMs, rampPerTick: 2 });

  it('counts streams with every token in order and a proper end as intact, and marks open then ending', async () => {
    const marks: string[] = [];
    const result = await holdStreams({
      url: new URL('/slow', base),
      body: '{}',
      streams: 5,
      tokens: 3,
      deadlineMs: 5000,
      rampPerTick: 5,
      mark: (mark) => marks.push(mark),
    });
    expect(result).toMatchObject({ streams: 5, intact: 5, failed: 0, stalled: 0, tokens: 15, failures: {} });
    expect(marks).toEqual(['open', 'ending']);
    expect(result.openMs).toBeLessThan(200);
    expect(result.wallMs).toBeGreaterThanOrEqual(200);
    expect(result.cpuSeconds).toBeGreaterThan(0);
  });

  it('marks ending before open when a stream ends before the last one starts (no moment with all open)', async () => {
    const marks: string[] = [];
    await holdStreams({ url: new URL('/ok', base), body: '{}', streams: 4, tokens: 3, deadlineMs: 5000, rampPerTick: 2, mark: (mark) => marks.push(mark) });
    expect(marks).toEqual(['ending', 'open']);
  });

  it('counts every token of a chunk that carries several', async () => {
    expect(await hold('/joined')).toMatchObject({ intact: 4, tokens: 12 });
    expect(tokensOf('{"choices":[{"delta":{"content":"t7 t8 t9 "}}]}')).toEqual([7, 8, 9]);
    expect(tokensOf('{"choices":[{"delta":{"content":"hello"}}]}')).toEqual([]);
  });

  it('fails streams that lack tokens, have them out of order, end without [DONE], carry an error or are refused', async () => {
    expect(await hold('/short')).toMatchObject({ intact: 0, failed: 4, failures: { 'tokens 2/3': 4 } });
    expect(await hold('/swapped')).toMatchObject({ intact: 0, failed: 4, failures: { 'tokens out of order': 4 } });
    expect(await hold('/no-end')).toMatchObject({ intact: 0, failed: 4, failures: { 'no proper end': 4 } });
    expect(await hold('/error')).toMatchObject({ intact: 0, failed: 4, failures: { 'error event upstream_error': 4 } });
    expect(await hold('/busy')).toMatchObject({ intact: 0, failed: 4, failures: { 'status 429': 4 } });
  });

  it('counts streams still open at the deadline as stalled', async () => {
    const result = await hold('/hang', 3, 300);
    expect(result).toMatchObject({ intact: 0, failed: 0, stalled: 3, tokens: 3 });
  });
});
