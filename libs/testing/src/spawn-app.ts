import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A gateway app running as a real child process. */
export interface AppProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when a line matching the pattern has been printed. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal and waits for the exit; resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
  exited(): Promise<number | string>;
}

/** The workspace root: the nearest folder above this file (source or bundle) holding nx.json. */
function findWorkspaceRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no nx.json above ${start}`);
    dir = parent;
  }
  return dir;
}

const workspaceRoot = findWorkspaceRoot(__dirname);

/** The production bundle of an app (built by `npm run build`). */
export function appEntry(app: string): string {
  const entry = join(workspaceRoot, 'dist', 'apps', app, 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return entry;
}

/**
 * Starts `node dist/apps/<app>/main.js` with the given environment (on top of PATH and HOME only). The admission
 * rate limit is lifted unless the test sets GATEWAY_RATE_* itself: suites fire bursts; log lines are not buffered
 * unless it sets LOG_FLUSH_INTERVAL_MS.
 */
export function spawnApp(
  app: string,
  env: Record<string, string>,
  options: { readyPattern?: RegExp; timeoutMs?: number; nodeArgs?: readonly string[] } = {},
): Promise<AppProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), appEntry(app)], {
    // Log lines written at once (LOG_FLUSH_INTERVAL_MS=0) unless a test asks otherwise: tests read them as they come.
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      LOG_FLUSH_INTERVAL_MS: '0',
      GATEWAY_RATE_RPS: '100000',
      GATEWAY_RATE_BURST: '100000',
      WORKER_METRICS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (data: Buffer) => {
    output += data.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<number | string>((resolveExit) => {
    child.once('exit', (code, signal) => {
      for (const listener of listeners) listener();
      resolveExit(code ?? signal ?? 'unknown');
    });
  });

  const waitForOutput = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<string>((resolveWait, reject) => {
      const check = () => {
        const match = output.match(pattern);
        if (match) {
          cleanup();
          resolveWait(match[0]);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          cleanup();
          reject(new Error(`${app} exited before printing ${pattern}:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${app} did not print ${pattern} in ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const handle: AppProcess = {
    child,
    output: () => output,
    waitForOutput,
    exited: () => exit,
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exit;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exit;
      clearTimeout(timer);
      return result;
    },
  };
  const ready = options.readyPattern ?? /"msg":"(api listening|worker started)"/;
  return waitForOutput(ready, options.timeoutMs ?? 20_000).then(
    () => handle,
    async (error: unknown) => {
      await handle.stop('SIGKILL');
      throw error;
    },
  );
}
