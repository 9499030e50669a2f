import { join } from 'node:path';
import { freePort, postJson, spawnApp, startGateway, startRedis, uniquePrefix, type AppProcess, type GatewayProcesses, type TestRedis } from '@gateway/testing';

const standIn = join(__dirname, 'testing', 'stand-in-agent.mjs');
const token = 'adapter-token-for-tests-0123';
const bearer = { authorization: `Bearer ${token}` };
/** Past Linux's limit on one argument (128 KiB): as an argument, `spawn` fails with E2BIG. One word, so the stand-in echoes it at once. */
const bigPrompt = `BIG${'x'.repeat(199_997)}`;
const hardBound = 300_000;

async function startAdapter(extra: Record<string, string> = {}): Promise<{ url: string; app: AppProcess }> {
  const port = await freePort();
  const app = await spawnApp(
    'cursor-adapter',
    {
      CURSOR_ADAPTER_PORT: String(port),
      CURSOR_AGENT_COMMAND: process.execPath,
      CURSOR_AGENT_ARGS: `${standIn} --print --output-format text`,
      CURSOR_AGENT_TIMEOUT_MS: '5000',
      CURSOR_AGENT_MAX_PROMPT_CHARS: String(hardBound),
      CURSOR_ADAPTER_TOKEN: token,
      ...extra,
    },
    { readyPattern: /"msg":"cursor adapter listening"/ },
  );
  return { url: `http://127.0.0.1:${port}`, app };
}

const user = (content: string) => ({ model: 'auto', messages: [{ role: 'user', content }] });

describe('the cursor adapter answers prompts the OS or the agent would refuse', () => {
  let adapter: { url: string; app: AppProcess };
  let strict: { url: string; app: AppProcess };
  beforeAll(async () => {
    [adapter, strict] = await Promise.all([startAdapter(), startAdapter({ CURSOR_AGENT_PROMPT_VIA: 'argument' })]);
  });
  afterAll(() => Promise.all([adapter?.app.stop(), strict?.app.stop()]));

  it('hands a prompt past the argument limit (or holding a NUL) to the agent on stdin', async () => {
    const answer = await postJson(`${adapter.url}/v1/chat/completions`, user(bigPrompt), bearer);
    expect(answer.status).toBe(200);
    expect((answer.body as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(`Agent (auto) read: ${bigPrompt}`);
    const nul = await postJson(`${adapter.url}/v1/chat/completions`, user('a\u0000b'), bearer);
    expect(nul.status).toBe(200);
  });

  it('answers 413 before running the agent: over the hard bound, or past the argument limit when told to use arguments only', async () => {
    const over = await postJson(`${adapter.url}/v1/chat/completions`, user('y'.repeat(hardBound + 1)), bearer);
    expect(over).toMatchObject({ status: 413, body: { error: { type: 'prompt_too_large', code: 413 } } });
    const asArgument = await postJson(`${strict.url}/v1/chat/completions`, user(bigPrompt), bearer);
    expect(asArgument).toMatchObject({ status: 413, body: { error: { type: 'prompt_too_large', code: 413 } } });
    expect(strict.app.output()).not.toContain('"msg":"agent run failed"');
  });

  it('answers 413 when the agent exits saying the prompt is too long; 502 when it fails otherwise', async () => {
    const tooLong = await postJson(`${adapter.url}/v1/chat/completions`, user('TOOLONG please'), bearer);
    expect(tooLong).toMatchObject({ status: 413, body: { error: { type: 'prompt_too_large', code: 413 } } });
    const failed = await postJson(`${adapter.url}/v1/chat/completions`, user('FAIL now'), bearer);
    expect(failed).toMatchObject({ status: 502, body: { error: { type: 'agent_error' } } });
  });

  it('survives a command that cannot start', async () => {
    const missing = await startAdapter({ CURSOR_AGENT_COMMAND: join(__dirname, 'testing', 'no-such-agent') });
    try {
      const answer = await postJson(`${missing.url}/v1/chat/completions`, user(bigPrompt), bearer);
      expect(answer).toMatchObject({ status: 502, body: { error: { type: 'agent_error' } } });
      expect((await fetch(`${missing.url}/healthz`)).status).toBe(200);
      expect(missing.app.child.exitCode).toBeNull();
    } finally {
      await missing.app.stop();
    }
  });
});

describe('one caller cannot open the Cursor circuit for everyone', () => {
  let redis: TestRedis;
  let adapter: { url: string; app: AppProcess };
  let gateway: GatewayProcesses;
  beforeAll(async () => {
    [redis, adapter] = await Promise.all([startRedis(), startAdapter()]);
    gateway = await startGateway({
      REDIS_URL: redis.url,
      QUEUE_PREFIX: uniquePrefix('cursor-blame'),
      LLM_PROVIDER: 'mock',
      CURSOR_ADAPTER_URL: adapter.url,
      CURSOR_ADAPTER_TOKEN: token,
      CIRCUIT_FAILURE_THRESHOLD: '2',
      CIRCUIT_RESET_TIME_MS: '60000',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await adapter?.app.stop();
    await redis?.stop();
  });

  const chat = (agent: string, content: string) =>
    postJson(`${gateway.baseUrl}/v1/chat`, { agent_id: agent, model: 'cursor/auto', messages: [{ role: 'user', content }] });
  const circuit = async () => {
    const body = (await (await fetch(`${gateway.baseUrl}/v1/providers`)).json()) as {
      providers: { id: string; circuit: { state: string; consecutive_failures: number } }[];
    };
    return body.providers.find((provider) => provider.id === 'cursor')!.circuit;
  };

  it('three 200,000-character prompts are answered, prompts over the bound get 413, and another tenant is served after', async () => {
    for (let call = 0; call < 3; call += 1) {
      const answer = await chat('tenant-big', bigPrompt);
      expect(answer.status).toBe(200);
      expect((answer.body as { content: string }).content).toBe(`Agent (auto) read: ${bigPrompt}`);
    }
    for (const content of ['z'.repeat(hardBound + 1), 'TOOLONG', 'z'.repeat(hardBound + 1)]) {
      const refused = await chat('tenant-big', content);
      expect(refused).toMatchObject({ status: 413, body: { error: { type: 'payload_too_large' } } });
    }
    expect(await circuit()).toMatchObject({ state: 'closed', consecutive_failures: 0 });
    const other = await chat('tenant-other', 'review my diff');
    expect(other).toMatchObject({ status: 200, body: { provider: 'cursor', content: 'Agent (auto) read: review my diff' } });
  });

  it('a genuine agent failure still opens the circuit', async () => {
    for (let call = 0; call < 2; call += 1) expect((await chat('tenant-big', 'FAIL again')).status).toBe(502);
    expect((await circuit()).state).toBe('open');
    const other = await chat('tenant-other', 'review my diff');
    expect(other.status).toBe(502);
    expect(JSON.stringify(other.body)).toContain('circuit');
  });
});
