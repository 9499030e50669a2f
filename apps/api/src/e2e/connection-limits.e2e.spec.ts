import { connect, type Socket } from 'node:net';
import { postSse, useGateway } from '@gateway/testing';

const maxConnections = 4;
const headersTimeoutMs = 500;
const requestTimeoutMs = 1000;

/** A raw TCP connection to the API, with what it received and when it closed. */
function rawConnection(baseUrl: string): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    let data = '';
    const started = Date.now();
    const socket = connect(Number(port), hostname, () => resolve({ socket, received: () => data, closed }));
    const closed = new Promise<number>((resolveClosed) => socket.on('close', () => resolveClosed(Date.now() - started)));
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

/** The JSON body of a raw HTTP answer. */
const bodyOf = (raw: string): unknown => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the API server bounds its connections and slow clients', () => {
  const { gateway } = useGateway({
    name: 'connections',
    env: {
      LLM_PROVIDER: 'mock',
      GATEWAY_MAX_CONNECTIONS: String(maxConnections),
      GATEWAY_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
      GATEWAY_REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
    },
  });

  it('closes a connection past GATEWAY_MAX_CONNECTIONS at once, and takes new ones when some close', async () => {
    const held = await Promise.all(Array.from({ length: maxConnections }, () => rawConnection(gateway.baseUrl)));
    // Each sends a request without finishing its headers, so the server holds all of them.
    for (const connection of held) connection.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const extra = await rawConnection(gateway.baseUrl);
    extra.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    const extraClosed = await Promise.race([extra.closed, sleep(300).then(() => undefined)]);
    process.stdout.write(
      `connection ${maxConnections + 1} of max ${maxConnections}: closed after ${extraClosed ?? '>300'} ms, received ${JSON.stringify(extra.received().slice(0, 15))}\n`,
    );
    expect(extraClosed).toBeDefined();
    expect(extra.received()).toBe('');
    for (const connection of held) connection.socket.destroy();
    await sleep(100);
    expect((await fetch(`${gateway.baseUrl}/healthz`)).status).toBe(200);
  });

  it('answers 408 and closes a client whose headers take longer than GATEWAY_HEADERS_TIMEOUT_MS', async () => {
    const slow = await rawConnection(gateway.baseUrl);
    slow.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const closedAfter = await Promise.race([slow.closed, sleep(5000).then(() => undefined)]);
    process.stdout.write(`slow headers: closed after ${closedAfter ?? '>5000'} ms, ${JSON.stringify(slow.received().split('\r\n')[0])}\n`);
    slow.socket.destroy();
    expect(closedAfter).toBeDefined();
    expect(closedAfter!).toBeLessThan(headersTimeoutMs + 1000);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(bodyOf(slow.received())).toMatchObject({ error: { type: 'invalid_request_error', message: 'the request did not arrive in time' } });
  });

  it.each([
    ['headers too large', `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nx-big: ${'a'.repeat(64 * 1024)}\r\n\r\n`, 431, 'request headers are too large'],
    ['a malformed request line', 'GET /healthz NOT-HTTP\r\n\r\n', 400, 'malformed HTTP request'],
  ])('answers %s in the error envelope, then closes', async (_case, request, status, message) => {
    const client = await rawConnection(gateway.baseUrl);
    client.socket.write(request);
    const closedAfter = await Promise.race([client.closed, sleep(5000).then(() => undefined)]);
    client.socket.destroy();
    expect(closedAfter).toBeDefined();
    expect(client.received()).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(client.received()).toMatch(/content-type: application\/json/);
    expect(bodyOf(client.received())).toMatchObject({ error: { type: 'invalid_request_error', message } });
    expect((await fetch(`${gateway.baseUrl}/healthz`)).status).toBe(200);
  });

  it('streams an SSE answer for longer than GATEWAY_REQUEST_TIMEOUT_MS to its end', async () => {
    const started = Date.now();
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, {
      messages: [{ role: 'user', content: 'hi' }],
      model: 'mock/echo?latency=500&chunk_delay=250&reply=one two three four five six',
    });
    const elapsed = Date.now() - started;
    process.stdout.write(`SSE stream: ${result.events.length} events in ${elapsed} ms (request timeout ${requestTimeoutMs} ms)\n`);
    expect(result.status).toBe(200);
    expect(elapsed).toBeGreaterThan(requestTimeoutMs + 500);
    expect(result.events.at(-1)).toMatchObject({ done: true, finish_reason: 'stop' });
  });
});
