import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appEntry, useGateway } from '@gateway/testing';
import { parseArgs } from './args';
import { progressLine } from './progress';

const dir = mkdtempSync(join(tmpdir(), 'gw-batch-cli-'));

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [appEntry('batch-cli'), ...args], { env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const { gateway } = useGateway({
  name: 'cli',
  env: { LLM_PROVIDER: 'mock', LLM_DEFAULT_MODEL: 'mock/echo', CIRCUIT_FAILURE_THRESHOLD: '1000' },
});

describe('gateway-batch', () => {
  it('submits a JSONL file, shows progress and writes the results as JSONL', async () => {
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    writeFileSync(
      input,
      [
        JSON.stringify({ custom_id: 'one', messages: [{ role: 'user', content: 'first' }], model: 'mock/x?latency=300' }),
        JSON.stringify({
          custom_id: 'two',
          method: 'POST',
          url: '/v1/chat/completions',
          body: { model: 'mock/echo', messages: [{ role: 'user', content: 'second' }] },
        }),
        '',
        JSON.stringify({ custom_id: 'three', messages: [{ role: 'user', content: 'third' }], model: 'mock/x?fail=upstream_error' }),
      ].join('\n'),
    );
    const { code, stderr } = await runCli([input, '-o', output, '--base-url', gateway.baseUrl, '--poll-ms', '50']);
    expect(stderr).toContain('3 requests enqueued');
    expect(stderr).toMatch(/\[#+\] 3\/3 100%/);
    expect(code).toBe(2); // one request failed
    const lines = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ custom_id: 'one', status: 'completed', result: expect.objectContaining({ content: 'Mock reply to: first' }) }),
      expect.objectContaining({ custom_id: 'two', status: 'completed', result: expect.objectContaining({ content: 'Mock reply to: second' }) }),
      expect.objectContaining({ custom_id: 'three', status: 'failed', error: expect.objectContaining({ type: 'upstream_error' }) }),
    ]);
  });

  it('writes to stdout when no output is given, and exits 0 when all completed', async () => {
    const input = join(dir, 'ok.jsonl');
    writeFileSync(input, `${JSON.stringify({ messages: [{ role: 'user', content: 'solo' }] })}\n`);
    const { code, stdout } = await runCli([input, '--base-url', gateway.baseUrl, '--poll-ms', '50']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim())).toMatchObject({ status: 'completed', result: { content: 'Mock reply to: solo' } });
  });

  it("fails with the gateway's message for a bad line", async () => {
    const input = join(dir, 'bad.jsonl');
    writeFileSync(input, `${JSON.stringify({ messages: [] })}\n`);
    const { code, stderr } = await runCli([input, '--base-url', gateway.baseUrl]);
    expect(code).toBe(1);
    expect(stderr).toContain('invalid_request (400)');
    expect(stderr).toContain('requests.0.messages');
  });

  it("uploads an OpenAI batch file (Responses lines) and writes OpenAI's output file, then the error file", async () => {
    const input = join(dir, 'responses.jsonl');
    const output = join(dir, 'responses-out.jsonl');
    const line = (id: string, model: string) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/responses', body: { model, input: `hi ${id}` } });
    writeFileSync(input, [line('a', 'mock/echo'), line('b', 'mock/x?fail=upstream_error'), line('c', 'mock/echo')].join('\n'));
    const { code, stderr } = await runCli([input, '-o', output, '--base-url', gateway.baseUrl, '--poll-ms', '50']);
    expect(stderr).toMatch(/3 requests enqueued from file-/);
    expect(code).toBe(2);
    const lines = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as { custom_id: string; response: { status_code: number; body: Record<string, unknown> } | null; error: unknown });
    expect(lines.map((result) => [result.custom_id, result.response?.status_code])).toEqual([
      ['a', 200],
      ['c', 200],
      ['b', 502],
    ]);
    expect(lines[0]!.response!.body).toMatchObject({ object: 'response', status: 'completed' });
    expect(lines[2]!.error).toMatchObject({ code: 'upstream_error' });
  });

  it('names the first bad line of an OpenAI batch file, submitting nothing', async () => {
    const input = join(dir, 'bad-openai.jsonl');
    const line = (id: string, body: unknown) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body });
    writeFileSync(input, [line('a', { messages: [{ role: 'user', content: 'x' }] }), line('b', { messages: 'nope' })].join('\n'));
    const { code, stderr } = await runCli([input, '--base-url', gateway.baseUrl]);
    expect(code).toBe(1);
    expect(stderr).toContain('invalid_request (400): line 2: body.messages');
    expect(stderr).not.toContain('enqueued');
  });

  it('fails clearly for a missing file or a bad option', async () => {
    expect((await runCli([join(dir, 'missing.jsonl')])).stderr).toContain('ENOENT');
    const bad = await runCli(['--poll-ms', 'x', 'in.jsonl']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--poll-ms');
  });
});

describe('parseArgs and progressLine', () => {
  it('parses the options', () => {
    expect(parseArgs(['in.jsonl', '-o', 'out.jsonl', '--base-url', 'http://h:1', '--token', 't', '--poll-ms', '100'])).toEqual({
      input: 'in.jsonl',
      output: 'out.jsonl',
      baseUrl: 'http://h:1',
      token: 't',
      pollMs: 100,
      maxCostUsd: undefined,
    });
    expect(parseArgs(['in.jsonl', '--max-cost-usd', '2.5'])).toMatchObject({ maxCostUsd: 2.5 });
    expect(() => parseArgs(['in.jsonl', '--max-cost-usd', '0'])).toThrow('--max-cost-usd must be a positive number');
    expect(() => parseArgs([])).toThrow('no input file');
    expect(() => parseArgs(['a', 'b'])).toThrow('one input file');
    expect(() => parseArgs(['a', '--what'])).toThrow('unknown option');
  });

  it('draws the bar', () => {
    expect(progressLine({ queued: 5, active: 0, completed: 4, failed: 1, cancelled: 0 }, 10, 10)).toBe(
      '[#####-----]  5/10  50%  completed 4  failed 1  queued 5',
    );
  });
});
