import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of Redis that can freeze a process's traffic right after one command: that command reaches
 * Redis whole, nothing its clients send after it does. Pointing a worker's REDIS_URL here puts a SIGKILL
 * deterministically between, say, the script that finishes a job and whatever the worker would do next.
 */
export interface RedisFreezeProxy {
  /** redis://127.0.0.1:<port> of the proxy. */
  url: string;
  /**
   * Arms the freeze: the first command (on any connection) whose text holds every one of `needles` is forwarded,
   * then no further command from any connection is. Resolves once that command has been forwarded.
   */
  freezeAfter(needles: readonly string[]): Promise<void>;
  /** Commands dropped since the freeze. */
  dropped(): number;
  close(): Promise<void>;
}

/** Splits a client's byte stream into whole RESP commands (arrays of bulk strings, as Redis clients send them). */
export function createRespCommandSplitter(): (chunk: Buffer) => Buffer[] {
  let pending = Buffer.alloc(0);
  const lineEnd = (from: number) => pending.indexOf('\r\n', from, 'latin1');
  const nextCommandEnd = (): number | undefined => {
    const headerEnd = lineEnd(0);
    if (headerEnd < 0) return undefined;
    if (pending[0] !== 0x2a) return headerEnd + 2; // an inline command: one line
    const count = Number(pending.toString('latin1', 1, headerEnd));
    let offset = headerEnd + 2;
    for (let index = 0; index < count; index += 1) {
      const lengthEnd = lineEnd(offset);
      if (lengthEnd < 0) return undefined;
      const length = Number(pending.toString('latin1', offset + 1, lengthEnd));
      offset = lengthEnd + 2 + length + 2;
      if (offset > pending.length) return undefined;
    }
    return offset;
  };
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    const commands: Buffer[] = [];
    for (let end = nextCommandEnd(); end !== undefined; end = nextCommandEnd()) {
      commands.push(pending.subarray(0, end));
      pending = pending.subarray(end);
    }
    return commands;
  };
}

/** Starts the proxy on 127.0.0.1 in front of the Redis at `targetUrl`. */
export async function startRedisFreezeProxy(targetUrl: string): Promise<RedisFreezeProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let armed: { needles: readonly string[]; resolve: () => void } | undefined;
  let frozen = false;
  let dropped = 0;
  const server: Server = createServer((client) => {
    const upstream = connect({ host: target.hostname, port: Number(target.port || 6379) });
    sockets.add(client).add(upstream);
    const split = createRespCommandSplitter();
    client.on('data', (chunk: Buffer) => {
      for (const command of split(chunk)) {
        if (frozen) {
          dropped += 1;
          continue;
        }
        upstream.write(command);
        const text = armed ? command.toString('latin1') : '';
        if (armed && armed.needles.every((needle) => text.includes(needle))) {
          frozen = true;
          armed.resolve();
        }
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    freezeAfter: (needles) => new Promise<void>((resolve) => (armed = { needles, resolve })),
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
