import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { metricValue, scrapeMetrics, useGateway, type RecordedRequest } from '@gateway/testing';

/**
 * Claude Code (`claude -p`) against the gateway as its Anthropic API (ANTHROPIC_BASE_URL), the fake OpenRouter
 * answering through the model aliases: its first turn with tools is answered with a call of its Read tool, any
 * later one with the answer. Claude Code is no dependency of the product: CI installs it (`.ci/run`,
 * `npm install --no-save @anthropic-ai/claude-code`), and this suite says it is skipped when its binary is absent.
 */
const answer = 'The gateway answered Claude Code.';

/** The native binary of @anthropic-ai/claude-code for this platform (its bin/claude.exe is a placeholder npm 11 leaves). */
function findClaude(): string | undefined {
  try {
    const manifest = require.resolve(`@anthropic-ai/claude-code-${process.platform}-${process.arch}/package.json`);
    const binary = join(dirname(manifest), 'claude');
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

const claude = findClaude();
if (!claude)
  console.warn('SKIPPED: Claude Code e2e: @anthropic-ai/claude-code (with its platform binary) is not installed; .ci/run installs it with --no-save');
const describeWithClaude = claude ? describe : describe.skip;

interface ClaudeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `claude -p` offline in a temp HOME and working directory, with the gateway as its API and a gateway key. */
function runClaude(binary: string, gatewayUrl: string, prompt: string): Promise<ClaudeRun> {
  const home = mkdtempSync(join(tmpdir(), 'claude-home-'));
  const workdir = mkdtempSync(join(tmpdir(), 'claude-work-'));
  writeFileSync(join(workdir, 'notes.txt'), 'a file for Read to find\n');
  // Only PATH from the runner's environment: no ANTHROPIC_* variable or real home of the runner reaches it.
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    ANTHROPIC_BASE_URL: gatewayUrl,
    ANTHROPIC_API_KEY: 'gateway-key-for-claude-code',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
  };
  const child = spawn(binary, ['-p', prompt, '--output-format', 'json', '--model', 'claude-sonnet-4-5'], {
    cwd: workdir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(deadline);
      for (const dir of [home, workdir]) if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

/** The working directory Claude Code tells the model of (its environment reminder). */
const workdirOf = (request: RecordedRequest) => /Primary working directory: (\/[^\s\\"]+)/.exec(JSON.stringify(request.body))?.[1] ?? '/nonexistent';

/** The conversation already holds a tool call (the fake asks for one tool call per conversation). */
const calledTools = (request: RecordedRequest) =>
  ((request.body as { messages: { role: string; tool_calls?: unknown[] }[] }).messages ?? []).some((message) => message.tool_calls !== undefined);

const toolNames = (request: RecordedRequest) => ((request.body as { tools?: { function: { name: string } }[] }).tools ?? []).map((tool) => tool.function.name);

describeWithClaude('Claude Code on the gateway (ANTHROPIC_BASE_URL)', () => {
  const suite = useGateway({
    name: 'claude-code',
    openRouter: {
      apiKey: 'sk-or-claude-code',
      behave: (request) =>
        toolNames(request).includes('Read') && !calledTools(request)
          ? { kind: 'tool-calls', calls: [{ name: 'Read', arguments: { file_path: join(workdirOf(request), 'notes.txt') } }] }
          : { kind: 'reply', content: answer, chunkDelayMs: 2 },
    },
    env: {
      GATEWAY_RATE_RPS: '1000',
      GATEWAY_RATE_BURST: '1000',
      GATEWAY_AUTH_TOKEN: 'gateway-key-for-claude-code',
      LLM_MODEL_ALIASES:
        'claude-sonnet-4-5=anthropic/claude-sonnet-4.5,claude-haiku-4-5=anthropic/claude-haiku-4.5,claude-3-5-haiku-20241022=anthropic/claude-3.5-haiku',
    },
  });

  it('claude -p runs a tool turn and prints the fake’s answer, every call served through POST /v1/messages', async () => {
    const served = async (status: string) =>
      metricValue(await scrapeMetrics(`${suite.gateway.baseUrl}/metrics`), 'gateway_http_requests_total', {
        route: '/v1/messages',
        method: 'POST',
        status_code: status,
      });
    const result = await runClaude(claude!, suite.gateway.baseUrl, 'What does notes.txt say? Use your tools.');
    if (result.code !== 0) throw new Error(`claude exited ${result.code}:\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-4000)}`);
    const output = JSON.parse(result.stdout) as { is_error: boolean; result: string; num_turns: number };
    expect(output.is_error).toBe(false);
    expect(output.result).toContain(answer);
    expect(await served('200')).toBeGreaterThanOrEqual(2);

    const calls = suite.fake.requests.filter((request) => request.method === 'POST');
    // Its aliases reached OpenRouter as OpenRouter's ids; its long system prompt and its tools came along.
    expect(calls.every((call) => String((call.body as { model: string }).model).startsWith('anthropic/'))).toBe(true);
    const main = calls.find((call) => toolNames(call).includes('Read'))!;
    expect(toolNames(main).length).toBeGreaterThanOrEqual(8);
    expect(JSON.stringify((main.body as { messages: unknown[] }).messages[0]).length).toBeGreaterThan(2000);
    // The tool turn: Read's result (the file's text) went back as a tool message answering the call.
    const toolTurn = calls.find((call) => (call.body as { messages: { role: string }[] }).messages.at(-1)?.role === 'tool');
    expect(JSON.stringify(toolTurn?.body)).toContain('a file for Read to find');
  }, 120_000);
});
