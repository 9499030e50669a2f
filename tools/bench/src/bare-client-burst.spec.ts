import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { burst } from './bare-client-burst';

describe('burst', () => {
  let server: Server;
  let base: URL;
  const seen: string[] = [];

  beforeAll(async () => {
    // /ok answers 200; /flaky answers every third request with 500; /drop destroys every other connection.
    let count = 0;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        count += 1;
        seen.push(`${req.method} ${req.url} ${req.headers['content-type']} ${body}`);
        if (req.url === '/flaky' && count % 3 === 0) res.writeHead(500).end('{}');
        else if (req.url === '/drop' && count % 2 === 0) res.socket?.destroy();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    seen.length = 0;
  });

  it('sends the warm-up and then every call at once, counting no failure when all answer 2xx', async () => {
    const result = await burst(new URL('/ok', base), '{"n":1}', 60);
    expect(result.failures).toBe(0);
    expect(result.wallMs).toBeGreaterThan(0);
    expect(Number.isFinite(result.rssGrowthMb)).toBe(true);
    expect(seen).toHaveLength(40 + 60);
    expect(new Set(seen)).toEqual(new Set(['POST /ok application/json {"n":1}']));
  });

  it('counts non-2xx answers of the measured calls as failures (the warm-up is not counted)', async () => {
    const result = await burst(new URL('/flaky', base), '{}', 60);
    expect(seen).toHaveLength(40 + 60);
    // Any 60 requests in a row hold exactly 20 that the server answers with 500.
    expect(result.failures).toBe(20);
  });

  it('counts calls whose connection breaks as failures, without throwing', async () => {
    const result = await burst(new URL('/drop', base), '{}', 40);
    expect(result.failures).toBe(20);
  });
});
