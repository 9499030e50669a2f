import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { metricValue, scrapeMetrics, useGateway, type RecordedRequest } from '@gateway/testing';

/**
 * Codex CLI (`codex exec`) against the gateway as a model provider speaking the Responses API, the fake OpenRouter
 * answering. Codex is no dependency of the product: CI installs it (`.ci/run`, `npm install --no-save
 * @openai/codex`), and this suite says it is skipped when its binary is absent.
 */
const answer = 'The gateway answered Codex.';

/** The launcher of @openai/codex, when it and the binary of this platform are installed. */
function findCodex(): string | undefined {
  try {
    const launcher = require.resolve('@openai/codex/bin/codex.js');
    const platformPackage = `@openai/codex-${process.platform}-${process.arch}`;
    require.resolve(`${platformPackage}/package.json`, { paths: [dirname(launcher)] });
    return launcher;
  } catch {
    return undefined;
  }
}

const codex = findCodex();
if (!codex) console.warn('SKIPPED: Codex CLI e2e: @openai/codex (with its platform binary) is not installed; .ci/run installs it with --no-save');
const describeWithCodex = codex ? describe : describe.skip;

interface CodexRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `codex exec` with a temp HOME/CODEX_HOME whose config names the gateway as its only model provider. */
function runCodex(launcher: string, gatewayUrl: string, prompt: string): Promise<CodexRun> {
  const home = mkdtempSync(join(tmpdir(), 'codex-home-'));
  const workdir = mkdtempSync(join(tmpdir(), 'codex-work-'));
  writeFileSync(
    join(home, 'config.toml'),
    [
      'model = "openai/gpt-4o-mini"',
      'model_provider = "gw"',
      'check_for_update_on_startup = false',
      // Codex's defaults otherwise: it also offers the model its web search and a multi-agent tool namespace,
      // which the gateway leaves out of the call (it runs function tools only) and names in X-Gateway-Dropped-Tools.
      '[analytics]',
      'enabled = false',
      '[model_providers.gw]',
      'name = "gateway"',
      `base_url = "${gatewayUrl}/v1"`,
      'env_key = "GATEWAY_KEY"',
      'wire_api = "responses"',
      '',
    ].join('\n'),
  );
  // Only PATH from the runner's environment: no OPENAI_* variable or real home reaches Codex.
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, CODEX_HOME: home, GATEWAY_KEY: 'unused' };
  const child = spawn(process.execPath, [launcher, 'exec', '--skip-git-repo-check', '--sandbox', 'read-only', prompt], {
    cwd: workdir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(deadline);
      for (const dir of [home, workdir]) if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

const lastUserText = (request: RecordedRequest) => JSON.stringify((request.body as { messages: unknown[] }).messages.at(-1));

describeWithCodex('Codex CLI on the gateway (wire_api = "responses")', () => {
  const suite = useGateway({
    name: 'codex',
    openRouter: { apiKey: 'sk-or-codex', behave: () => ({ kind: 'reply', content: answer, chunkDelayMs: 5 }) },
    env: { GATEWAY_RATE_RPS: '1000', GATEWAY_RATE_BURST: '1000' },
  });

  it('codex exec, sandboxed read-only, finishes printing the fake’s answer served through POST /v1/responses', async () => {
    const served = async () =>
      metricValue(await scrapeMetrics(`${suite.gateway.baseUrl}/metrics`), 'gateway_http_requests_total', { route: '/v1/responses', method: 'POST' });
    const before = await served();
    const result = await runCodex(codex!, suite.gateway.baseUrl, 'Say something about the gateway.');
    if (result.code !== 0) throw new Error(`codex exited ${result.code}:\n${result.stderr.slice(-4000)}`);
    expect(result.stdout).toContain(answer);
    expect(await served()).toBeGreaterThan(before);
    // The prompt reached the provider as the last user turn of the mapped chat request.
    const calls = suite.fake.requests.filter((request) => request.method === 'POST');
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(lastUserText(calls.at(-1)!)).toContain('Say something about the gateway.');
  }, 90_000);
});
