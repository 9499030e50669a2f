import { join } from 'node:path';
import { AgentError, exitFailure, runAgent } from './agent-runner';
import { ARGUMENT_MAX_BYTES, promptChannel } from './prompt';

const standIn = join(__dirname, 'testing', 'stand-in-agent.mjs');

async function run(args: readonly string[], stdin?: string, command = process.execPath): Promise<string> {
  let output = '';
  for await (const chunk of runAgent({ command, args, stdin, timeoutMs: 5000, env: { PATH: process.env['PATH'] ?? '' }, signal: new AbortController().signal }))
    output += chunk;
  return output;
}

async function failure(work: Promise<unknown>): Promise<AgentError> {
  const error = await work.then(
    () => new Error('expected the run to fail'),
    (caught: unknown) => caught,
  );
  if (!(error instanceof AgentError)) throw error;
  return error;
}

describe('runAgent: a spawn that fails is an AgentError, never a crash', () => {
  it('an argument past the OS limit (E2BIG) is the prompt’s: 413', async () => {
    const error = await failure(run([standIn, '--print', '--', 'x'.repeat(200_000)]));
    expect(error).toMatchObject({ status: 413, type: 'prompt_too_large' });
    expect(error.message).toContain('E2BIG');
  });

  it('a NUL in an argument is the request’s: 400', async () => {
    expect(await failure(run([standIn, '--print', '--', 'a\u0000b']))).toMatchObject({ status: 400, type: 'invalid_request_error' });
  });

  it('a command that cannot start is the agent’s: 502, however long the prompt written to it', async () => {
    const error = await failure(run(['--print'], 'x'.repeat(500_000), join(__dirname, 'testing', 'no-such-agent')));
    expect(error).toMatchObject({ status: 502, type: 'agent_error' });
    expect(error.message).toContain('ENOENT');
  });

  it('a prompt on stdin reaches the stand-in whole, as the real CLI reads it with no prompt argument', async () => {
    const prompt = `BIG${'x'.repeat(300_000)}`;
    expect(await run([standIn, '--print'], prompt)).toBe(`Agent (auto) read: ${prompt}`);
  });
});

describe('exitFailure', () => {
  it.each([
    ['Error: prompt is too long: 1048576 tokens exceed the context window of the model', 413],
    ['maximum context length is 200000 tokens', 413],
    ['Error: not logged in (run cursor-agent login)', 502],
    ['', 502],
  ])('%j → %i', (stderr, status) => {
    expect(exitFailure(1, null, stderr).status).toBe(status);
  });

  it('a signal is the agent’s, whatever it printed', () => {
    expect(exitFailure(null, 'SIGKILL', 'prompt is too long').status).toBe(502);
  });
});

describe('promptChannel', () => {
  const long = 'é'.repeat(ARGUMENT_MAX_BYTES / 2 + 1); // within the limit in characters, past it in bytes
  it.each([
    ['auto', 'short', { via: 'argument' }],
    ['auto', long, { via: 'stdin' }],
    ['auto', 'a\u0000b', { via: 'stdin' }],
    ['argument', 'short', { via: 'argument' }],
    ['argument', long, { refused: 'too_long' }],
    ['argument', 'a\u0000b', { refused: 'nul' }],
    ['stdin', 'short', { via: 'stdin' }],
  ] as const)('%s, %#', (promptVia, prompt, expected) => {
    expect(promptChannel(prompt, promptVia)).toEqual(expected);
  });
});
