import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createSseWriter } from './sse-writer';

describe('SSE writer', () => {
  let server: Server;
  let socket: Socket | undefined;
  afterEach(async () => {
    socket?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reports a client that stops reading once the bound is passed, instead of buffering on', async () => {
    const outcome = new Promise<{ accepted: number; buffered: number }>((resolve) => {
      server = createServer((_req, res) => {
        const writer = createSseWriter(res, { maxBufferBytes: 256 * 1024, drainTimeoutMs: 100 });
        const payload = { content: 'x'.repeat(16 * 1024) };
        let accepted = 0;
        const pump = () => {
          // The socket takes what the kernel buffers hold; after that the writer must say stop.
          for (let index = 0; index < 64; index += 1) {
            if (!writer.event(payload)) {
              resolve({ accepted, buffered: res.writableLength });
              writer.end();
              return;
            }
            accepted += 1;
          }
          if (accepted > 20_000) resolve({ accepted, buffered: res.writableLength });
          else setTimeout(pump, 1);
        };
        pump();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    socket = connect(port, '127.0.0.1', () => {
      socket!.write('POST /v1/chat/stream HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n');
      socket!.pause();
    });
    const { accepted, buffered } = await outcome;
    expect(accepted).toBeLessThan(20_000);
    expect(buffered).toBeLessThan(256 * 1024 + 32 * 1024);
  });

  it('sends the stream headers', async () => {
    server = createServer((_req, res) => {
      const writer = createSseWriter(res, { maxBufferBytes: 1024 });
      writer.comment('ping');
      writer.event({ content: 'hi' });
      writer.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toContain('no-cache');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    expect(await response.text()).toBe(': ping\n\ndata: {"content":"hi"}\n\n');
  });
});
