import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { createInterface } from 'node:readline';
import { createParser } from 'eventsource-parser';
import { Agent } from 'undici';

/** What a held set of streams delivered. */
export interface HoldResult {
  streams: number;
  /** Streams that got every token, in order, and a proper end (`[DONE]` after a chunk with a finish_reason). */
  intact: number;
  /** Streams that answered anything but 200, broke off, or ended without a proper end. */
  failed: number;
  /** Streams still open at the deadline (aborted then). */
  stalled: number;
  /** Tokens received over all streams. */
  tokens: number;
  /** The longest wait between two tokens of one stream, over all streams (ms). */
  maxGapMs: number;
  /** From the first request sent to the last stream's first token (ms). */
  openMs: number;
  /** From the first request sent to the last stream's end (ms). */
  wallMs: number;
  /** CPU seconds of the client's own process over the run (it exits before anyone else could read them). */
  cpuSeconds: number;
  /** Why streams failed: a few words each (`status 429`, `error event upstream_error`, `tokens 17/20`), counted. */
  failures: Record<string, number>;
  /** For each reason, the last bytes the first stream that failed so received. */
  lastReceived: Record<string, string>;
}

/** One stream's progress: tokens are `t0 `, `t1 `, … (the bench upstream's); anything else out of order spoils it. */
interface StreamState {
  next: number;
  inOrder: boolean;
  finished: boolean;
  lastTokenAt: number;
  maxGapMs: number;
}

/** The tokens of one chunk's content, in order (a relay may join several into one chunk). */
export const tokensOf = (data: string): number[] => {
  const content = /"content":"((?:t\d+ )+)"/.exec(data)?.[1];
  return content ? [...content.matchAll(/t(\d+) /g)].map((match) => Number(match[1])) : [];
};

/**
 * Opens `streams` streamed calls of `body` to `url` (OpenAI chunks, straight from the upstream or through the
 * gateway: the same client either way), `rampPerTick` every 100 ms, and reads each to its end, counting tokens and
 * the gaps between them. `marks` is told 'open' once every stream has its first token (or is over) and 'ending'
 * when the first one ends: memory between the two is that of all streams open at once.
 */
export async function holdStreams(options: {
  url: URL;
  body: string;
  streams: number;
  tokens: number;
  deadlineMs: number;
  rampPerTick?: number;
  mark?: (mark: 'open' | 'ending') => void;
}): Promise<HoldResult> {
  const { streams, tokens } = options;
  const agent = new Agent({ connections: streams + 16, keepAliveTimeout: 30_000, headersTimeout: options.deadlineMs, bodyTimeout: options.deadlineMs });
  const abort = new AbortController();
  // Every stream listens to the one deadline.
  setMaxListeners(0, abort.signal);
  let opened = 0;
  let ended = 0;
  let openMs = NaN;
  const started = performance.now();
  const opening = () => {
    opened += 1;
    if (opened === streams) {
      openMs = performance.now() - started;
      options.mark?.('open');
    }
  };
  const result = { intact: 0, failed: 0, stalled: 0, tokens: 0, maxGapMs: 0 };
  const failures: Record<string, number> = {};
  const lastReceived: Record<string, string> = {};
  const failed = (reason: string, last = '') => {
    result.failed += 1;
    failures[reason] = (failures[reason] ?? 0) + 1;
    lastReceived[reason] ??= last.slice(-300);
  };
  const one = async (): Promise<void> => {
    const state: StreamState = { next: 0, inOrder: true, finished: false, lastTokenAt: NaN, maxGapMs: 0 };
    let errorEvent: string | undefined;
    let first = true;
    const firstToken = () => {
      if (!first) return;
      first = false;
      opening();
    };
    try {
      const response = await agent.request({
        origin: options.url.origin,
        path: options.url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: options.body,
        signal: abort.signal,
      });
      if (response.statusCode !== 200) {
        await response.body.arrayBuffer();
        firstToken();
        failed(`status ${response.statusCode}`);
        return;
      }
      let sawFinish = false;
      const parser = createParser({
        onEvent: ({ data }) => {
          if (data === '[DONE]') {
            state.finished = sawFinish;
            return;
          }
          if (data.includes('"error"')) errorEvent = /"type":"([a-z_]+)"/.exec(data)?.[1] ?? 'unknown';
          if (/"finish_reason":"[a-z_]+"/.test(data)) sawFinish = true;
          const received = tokensOf(data);
          if (received.length === 0) return;
          const now = performance.now();
          if (!Number.isNaN(state.lastTokenAt)) state.maxGapMs = Math.max(state.maxGapMs, now - state.lastTokenAt);
          state.lastTokenAt = now;
          for (const token of received) {
            if (token !== state.next) state.inOrder = false;
            state.next += 1;
          }
          result.tokens += received.length;
          firstToken();
        },
      });
      // The last read only (no copy kept of the rest): what a failed stream ended with, for its report.
      let last = '';
      for await (const chunk of response.body) {
        last = (chunk as Buffer).toString('utf8');
        parser.feed(last);
      }
      firstToken();
      if (errorEvent !== undefined) failed(`error event ${errorEvent}`, last);
      else if (!state.inOrder) failed('tokens out of order', last);
      else if (state.next !== tokens) failed(`tokens ${state.next}/${tokens}`, last);
      else if (!state.finished) failed('no proper end', last);
      else result.intact += 1;
    } catch (error) {
      firstToken();
      if (abort.signal.aborted) result.stalled += 1;
      else failed(error instanceof Error ? error.message.slice(0, 60) : 'thrown');
    } finally {
      result.maxGapMs = Math.max(result.maxGapMs, state.maxGapMs);
      ended += 1;
      if (ended === 1) options.mark?.('ending');
    }
  };
  const deadline = setTimeout(() => abort.abort(), options.deadlineMs);
  const rampPerTick = options.rampPerTick ?? 1000;
  const calls: Promise<void>[] = [];
  const cpuBefore = process.cpuUsage();
  try {
    for (let sent = 0; sent < streams; sent += rampPerTick) {
      if (sent > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      for (let index = sent; index < Math.min(streams, sent + rampPerTick); index += 1) calls.push(one());
    }
    await Promise.all(calls);
    const cpu = process.cpuUsage(cpuBefore);
    return { streams, ...result, openMs, wallMs: performance.now() - started, cpuSeconds: (cpu.user + cpu.system) / 1e6, failures, lastReceived };
  } finally {
    clearTimeout(deadline);
    await agent.destroy();
  }
}

/** Settings of a held run, passed to its process as JSON in `HOLD_OPTIONS`. */
export interface HoldOptions {
  url: string;
  body: unknown;
  /** A short stream sent first, 200 times (20 at a time), so the code runs optimized before the measure. */
  warmUpBody: unknown;
  streams: number;
  tokens: number;
  deadlineMs: number;
}

/**
 * In its own process (`--stream-hold`): warms up, prints `ready`, waits for a line on stdin, then holds the
 * streams, printing `open` and `ending` as they happen and the {@link HoldResult} as JSON last.
 */
export async function runStreamHold(): Promise<void> {
  const options = JSON.parse(process.env['HOLD_OPTIONS'] ?? '{}') as HoldOptions;
  const url = new URL(options.url);
  const warmUp = JSON.stringify(options.warmUpBody);
  for (let round = 0; round < 10; round += 1)
    await holdStreams({ url, body: warmUp, streams: 20, tokens: NaN, deadlineMs: 30_000, rampPerTick: 20 }).catch(() => undefined);
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  await new Promise((resolve) => lines.once('line', resolve));
  lines.close();
  const result = await holdStreams({
    url,
    body: JSON.stringify(options.body),
    streams: options.streams,
    tokens: options.tokens,
    deadlineMs: options.deadlineMs,
    mark: (mark) => process.stdout.write(`${mark}\n`),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** A held run in a child process: `ready()` once it is warm, `go()` to open the streams, marks as they come. */
export function spawnStreamHold(options: HoldOptions, onMark: (mark: 'open' | 'ending') => void) {
  const child = spawn(process.execPath, [process.argv[1] ?? '', '--stream-hold'], {
    env: { ...process.env, HOLD_OPTIONS: JSON.stringify(options) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  let lastLine = '';
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    if (line === 'ready') readyResolve();
    else if (line === 'open' || line === 'ending') onMark(line);
    else lastLine = line;
  });
  const finished = new Promise<HoldResult>((resolve, reject) => {
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(lastLine) as HoldResult);
      } catch {
        reject(new Error(`stream hold exited ${code}: ${lastLine}`));
      }
    });
  });
  // A child that dies before it is ready must not leave the caller waiting on ready.
  finished.catch(() => readyResolve());
  return {
    pid: child.pid ?? NaN,
    ready,
    /** Opens the streams; resolves with what they delivered. */
    go(): Promise<HoldResult> {
      child.stdin!.write('go\n');
      return finished;
    },
  };
}
