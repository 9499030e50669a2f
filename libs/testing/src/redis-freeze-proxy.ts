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
  /**
   * Holds back the first command (on any connection) whose text holds every one of `needles`, and whatever its
   * connection sends after it, until `release()`: that client's Redis is slow while every other connection goes on
   * (a pub/sub connection keeps receiving). `held` resolves once the command arrived; `matching()` counts the held
   * commands that hold the needles.
   */
  holdAt(needles: readonly string[]): RedisHold;
  /** Commands dropped since the freeze. */
  dropped(): number;
  close(): Promise<void>;
}

export interface RedisHold {
  held: Promise<void>;
  matching(): number;
  release(): void;
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
  /** The hold armed (see holdAt): the connection it holds, once its first command came, and that connection's flush. */
  let holding: { needles: readonly string[]; commands?: Buffer[]; flush?: () => void; matched: number; arrived: () => void } | undefined;
  const holds = (command: Buffer, needles: readonly string[]) => {
    const text = command.toString('latin1');
    return needles.every((needle) => text.includes(needle));
  };
  const server: Server = createServer((client) => {
    const upstream = connect({ host: target.hostname, port: Number(target.port || 6379) });
    sockets.add(client).add(upstream);
    const split = createRespCommandSplitter();
    /** This connection's commands held back, while a hold holds it. */
    let held: Buffer[] | undefined;
    client.on('data', (chunk: Buffer) => {
      for (const command of split(chunk)) {
        if (frozen) {
          dropped += 1;
          continue;
        }
        const hold = holding;
        if (hold && (hold.commands === undefined ? holds(command, hold.needles) : hold.commands === held)) {
          if (hold.commands === undefined) {
            held = hold.commands = [];
            hold.flush = () => {
              for (const waiting of held!.splice(0)) upstream.write(waiting);
              held = undefined;
            };
            hold.arrived();
          }
          held!.push(command);
          if (holds(command, hold.needles)) hold.matched += 1;
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
    holdAt: (needles) => {
      let arrived!: () => void;
      const held = new Promise<void>((resolve) => (arrived = resolve));
      const hold: NonNullable<typeof holding> = { needles, matched: 0, arrived };
      holding = hold;
      return {
        held,
        matching: () => hold.matched,
        release: () => {
          if (holding !== hold) return;
          holding = undefined;
          // The held commands go in their order, before anything the connection sends later.
          hold.flush?.();
        },
      };
    },
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
