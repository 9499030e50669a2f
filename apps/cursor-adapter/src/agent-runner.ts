import { spawn } from 'node:child_process';

/** Why an agent run failed; maps to the contract's HTTP status. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  constructor(
    readonly status: 400 | 502 | 503 | 504,
    readonly type: 'invalid_request_error' | 'agent_error' | 'agent_busy' | 'agent_timeout',
    message: string,
    /** The tail of the command's stderr: for the operator's log, never for the client. */
    readonly stderr?: string,
  ) {
    super(message);
  }
}

/** One run of the agent command. */
export interface AgentRunOptions {
  command: string;
  args: readonly string[];
  /** Written to the command's stdin (which is then closed); undefined: stdin is closed at once. */
  stdin: string | undefined;
  timeoutMs: number;
  /** The command's whole environment (nothing else of the adapter's is inherited). */
  env: NodeJS.ProcessEnv;
  /** Aborts the run (the HTTP client went away): the command is killed. */
  signal: AbortSignal;
}

const STDERR_TAIL = 400;
const KILL_GRACE_MS = 2000;

/**
 * Runs the command and yields its stdout as it comes. Ends normally only on exit code 0; a spawn error,
 * a non-zero exit, a signal or the deadline throw AgentError (the tail of stderr in its `stderr`, for the operator's log).
 */
export async function* runAgent(options: AgentRunOptions): AsyncGenerator<string> {
  const child = spawn(options.command, [...options.args], { stdio: ['pipe', 'pipe', 'pipe'], env: options.env });
  let stderr = '';
  let timedOut = false;
  let spawnError: Error | undefined;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  child.stdin.on('error', () => undefined); // a command that ignores stdin closes it early
  child.stdin.end(options.stdin ?? '');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (error) => {
      spawnError = error;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs);
  options.signal.addEventListener('abort', kill, { once: true });
  try {
    child.stdout.setEncoding('utf8');
    for await (const chunk of child.stdout) yield chunk as string;
    const { code, signal } = await exited;
    if (spawnError)
      throw new AgentError(502, 'agent_error', `agent command could not start: ${(spawnError as NodeJS.ErrnoException).code ?? spawnError.message}`);
    if (timedOut) throw new AgentError(504, 'agent_timeout', `agent gave no complete answer in ${options.timeoutMs} ms`);
    if (code !== 0) throw new AgentError(502, 'agent_error', `agent exited with ${code !== null ? `code ${code}` : `signal ${signal}`}`, stderr.trim());
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', kill);
    kill();
  }
}
