import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/**
 * Why an agent run failed; maps to the contract's HTTP status. 4xx: the request caused it (its shape, its size,
 * the agent refusing that prompt), so the gateway never counts it against the Cursor circuit; 5xx: the agent or
 * the adapter failed.
 */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  constructor(
    readonly status: 400 | 413 | 502 | 503 | 504,
    readonly type: 'invalid_request_error' | 'prompt_too_large' | 'agent_error' | 'agent_busy' | 'agent_timeout',
    message: string,
    /** The tail of the command's stderr: for the operator's log, never for the client. */
    readonly stderr?: string,
  ) {
    super(message);
  }
}

/** The OS refused the command line for its length (Linux: one argument over 128 KiB; Windows: ~32 KiB in all). */
const commandLineTooLong = new Set(['E2BIG', 'ENAMETOOLONG']);

/**
 * What the agent CLI prints when a prompt is over its model's context; such an exit is the prompt's, not an outage.
 * Matched on the tail of stderr only after a non-zero exit.
 */
const promptRefused = /prompt (?:is )?too (?:long|large)|too many tokens|context (?:length|window)|maximum context/i;

/** A spawn that failed, thrown at once or emitted: the command line's length and a NUL in it are the request's. */
export function spawnFailure(error: unknown): AgentError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && commandLineTooLong.has(code))
    return new AgentError(413, 'prompt_too_large', `the prompt is too long for the agent command line (${code})`);
  if (code === 'ERR_INVALID_ARG_VALUE') return new AgentError(400, 'invalid_request_error', 'the prompt cannot be passed to the agent command');
  return new AgentError(502, 'agent_error', `agent command could not start: ${code ?? (error instanceof Error ? error.message : 'unknown error')}`);
}

/** A non-zero exit: the prompt's when the agent says so on stderr, otherwise the agent's failure. */
export function exitFailure(code: number | null, signal: NodeJS.Signals | null, stderr: string): AgentError {
  const how = code !== null ? `code ${code}` : `signal ${signal}`;
  if (code !== null && promptRefused.test(stderr))
    return new AgentError(413, 'prompt_too_large', `agent refused the prompt as too long (exited with ${how})`, stderr);
  return new AgentError(502, 'agent_error', `agent exited with ${how}`, stderr);
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
  let child: ChildProcessWithoutNullStreams;
  // Some failures throw at once (E2BIG, a NUL in an argument), others are emitted (ENOENT): both become an AgentError.
  try {
    child = spawn(options.command, [...options.args], { stdio: ['pipe', 'pipe', 'pipe'], env: options.env });
  } catch (error) {
    throw spawnFailure(error);
  }
  let stderr = '';
  let timedOut = false;
  let spawnError: Error | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // Every 'error' is heard, a failed kill's too (an unheard one would crash the adapter); only one without a
    // pid says the command never started: after a failed kill it still runs, and 'close' ends the wait.
    child.on('error', (error) => {
      if (child.pid !== undefined) return;
      spawnError ??= error;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  child.stdin.on('error', () => undefined); // a command that ignores stdin closes it early
  child.stdin.end(options.stdin ?? '');
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
    if (spawnError) throw spawnFailure(spawnError);
    if (timedOut) throw new AgentError(504, 'agent_timeout', `agent gave no complete answer in ${options.timeoutMs} ms`);
    if (code !== 0) throw exitFailure(code, signal, stderr.trim());
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', kill);
    kill();
  }
}
