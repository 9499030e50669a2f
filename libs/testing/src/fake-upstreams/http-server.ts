import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request a fake upstream received, kept for assertions. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A running fake upstream. */
export interface FakeServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Sockets closed by the peer so far (client aborts show here). */
  closedConnections(): number;
  /** Connections accepted so far (a client reusing keep-alive connections opens few). */
  openedConnections(): number;
  /** Responses sent to their end so far. */
  finishedResponses(): number;
  close(): Promise<void>;
}

/** Faults of the connection itself, alike for every upstream: held open until the client gives up, or reset. */
export type ConnectionFault = { kind: 'hang' } | { kind: 'reset' };

export async function connectionFault(fault: ConnectionFault, raw: IncomingMessage): Promise<void> {
  if (fault.kind === 'reset') {
    raw.socket.destroy();
    return;
  }
  await new Promise<void>((resolve) => raw.socket.once('close', () => resolve()));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Words in a text, as the fakes count completion tokens. */
export const words = (text: string) => (text.trim() === '' ? 0 : text.trim().split(/\s+/).length);

export type FakeHandler = (request: RecordedRequest, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

/** An HTTP server on 127.0.0.1:0 that records requests and hands them to a handler. */
export async function startFakeServer(handler: FakeHandler, path = ''): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  let closed = 0;
  let finished = 0;
  const server: Server = createServer(async (raw, res) => {
    res.once('finish', () => (finished += 1));
    const chunks: Buffer[] = [];
    for await (const chunk of raw) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the raw text
    }
    const request: RecordedRequest = { method: raw.method ?? 'GET', path: raw.url ?? '/', headers: raw.headers, body };
    requests.push(request);
    try {
      await handler(request, res, raw);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(error) } }));
    }
  });
  let opened = 0;
  server.on('connection', (socket) => {
    opened += 1;
    socket.once('close', () => (closed += 1));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    requests,
    closedConnections: () => closed,
    openedConnections: () => opened,
    finishedResponses: () => finished,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
