import { connect, type Socket } from 'node:net';

/** One command as Redis MONITOR reports it: who sent it (`ip:port`, or `lua` inside a script) and its arguments. */
export interface MonitoredCommand {
  client: string;
  args: string[];
  /** When Redis ran it: ms since the epoch, microsecond precision (0 when the line had no time). */
  at?: number;
}

const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', '"': '"', '\\': '\\' };

/** Parses one MONITOR line (`1796278829.843466 [0 127.0.0.1:52186] "eval" "…" "0"`), its arguments unescaped. */
export function parseMonitorLine(line: string): MonitoredCommand | undefined {
  const open = line.indexOf('[');
  const close = line.indexOf(']', open);
  if (open < 0 || close < 0) return undefined;
  const client = line.slice(open + 1, close).split(' ')[1] ?? '';
  const seconds = Number(line.slice(line.startsWith('+') ? 1 : 0, open).trim());
  const args: string[] = [];
  let index = close + 1;
  while (index < line.length) {
    const start = line.indexOf('"', index);
    if (start < 0) break;
    let value = '';
    let cursor = start + 1;
    while (cursor < line.length && line[cursor] !== '"') {
      const char = line[cursor]!;
      if (char === '\\' && cursor + 1 < line.length) {
        const next = line[cursor + 1]!;
        if (next === 'x') {
          value += String.fromCharCode(parseInt(line.slice(cursor + 2, cursor + 4), 16));
          cursor += 4;
          continue;
        }
        value += escapes[next] ?? next;
        cursor += 2;
        continue;
      }
      value += char;
      cursor += 1;
    }
    args.push(value);
    index = cursor + 1;
  }
  return { client, args, at: Number.isFinite(seconds) ? seconds * 1000 : 0 };
}

/** A running MONITOR session on its own connection: every command Redis executes from now until `stop`. */
export interface MonitorSession {
  stop(): Promise<MonitoredCommand[]>;
}

/** Opens a raw connection and sends MONITOR (ioredis's parser is slower than the lines arrive under load). */
export async function startMonitor(redisUrl: string): Promise<MonitorSession> {
  const url = new URL(redisUrl);
  const socket: Socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const commands: MonitoredCommand[] = [];
  let pending = '';
  let started = false;
  let marker = '';
  let endSeen = -1;
  const ready = new Promise<void>((resolve) => {
    socket.on('data', (data: Buffer) => {
      pending += data.toString('latin1');
      let from = 0;
      let end = pending.indexOf('\r\n');
      while (end >= 0) {
        const line = pending.slice(from, end);
        from = end + 2;
        if (!started && line === '+OK') {
          started = true;
          resolve();
        } else if (line.startsWith('+')) {
          const parsed = parseMonitorLine(line);
          if (parsed) {
            if (endSeen < 0 && marker !== '' && parsed.args[1] === marker) endSeen = commands.length;
            commands.push(parsed);
          }
        }
        end = pending.indexOf('\r\n', from);
      }
      pending = pending.slice(from);
    });
  });
  socket.write('MONITOR\r\n');
  await ready;
  return {
    async stop() {
      // An ECHO from another connection marks the end: every line before it has arrived once it is seen.
      marker = `bench-monitor-end-${Date.now()}`;
      const other = connect({ host: url.hostname, port: Number(url.port || 6379) });
      await new Promise<void>((resolve) => other.once('connect', resolve));
      other.write(`ECHO ${marker}\r\n`);
      const deadline = Date.now() + 10_000;
      while (endSeen < 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      other.destroy();
      socket.destroy();
      return endSeen >= 0 ? commands.slice(0, endSeen) : commands;
    },
  };
}
