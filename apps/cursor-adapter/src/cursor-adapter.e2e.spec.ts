import { request } from 'node:http';
import { join } from 'node:path';
import { createCursorAdapter, type ChatStreamPart, type ProviderAdapter } from '@gateway/providers';
import { collectAll, freePort, gatewayFailure, postJson, spawnApp, useGateway, waitFor, type AppProcess } from '@gateway/testing';

const standIn = join(__dirname, 'testing', 'stand-in-agent.mjs');
const signal = () => new AbortController().signal;
const user = (content: string) => ({ model: 'auto', messages: [{ role: 'user' as const, content }] });
const token = 'adapter-token-for-tests-0123';
const cursorKey = 'cursor-key-secret-4567';
const bearer = { authorization: `Bearer ${token}` };

async function startAdapter(extra: Record<string, string> = {}): Promise<{ url: string; app: AppProcess }> {
  const port = await freePort();
  const app = await spawnApp(
    'cursor-adapter',
    {
      CURSOR_ADAPTER_PORT: String(port),
      CURSOR_AGENT_COMMAND: process.execPath,
      CURSOR_AGENT_ARGS: `${standIn} --print --output-format text`,
      CURSOR_AGENT_TIMEOUT_MS: '1500',
      CURSOR_AGENT_MAX_CONCURRENCY: '2',
      CURSOR_ADAPTER_TOKEN: token,
      CURSOR_API_KEY: cursorKey,
      SOME_OTHER_SECRET: 'must-not-reach-the-agent',
      ...extra,
    },
    { readyPattern: /"msg":"cursor adapter listening"/ },
  );
  return { url: `http://127.0.0.1:${port}`, app };
}

/** A POST with a Host header of our choosing (fetch does not let one set it). */
function rawRequest(base: string, headers: Record<string, string>): Promise<number> {
  const body = JSON.stringify(user('hi'));
  return new Promise((resolve, reject) => {
    const outgoing = request(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

let adapterApp: { url: string; app: AppProcess };
let provider: ProviderAdapter;

beforeAll(async () => {
  adapterApp = await startAdapter();
  provider = createCursorAdapter({ baseUrl: adapterApp.url, token, timeoutMs: 10_000 });
});
afterAll(async () => {
  await provider?.close();
  await adapterApp?.app.stop();
});

describe('cursor adapter app (stand-in agent command)', () => {
  it('answers a chat completion with the command output', async () => {
    const answer = await provider.chat(user('Hello agent'), signal());
    expect(answer).toMatchObject({ content: 'Agent (auto) read: Hello agent', model: 'auto', finishReason: 'stop' });
    expect(answer.usage.completion_tokens).toBeGreaterThan(0);
  });

  it('passes a named model as --model and a conversation as labelled turns, system first', async () => {
    const answer = await provider.chat(
      {
        model: 'sonnet-4',
        messages: [
          { role: 'user', content: 'Plan?' },
          { role: 'assistant', content: 'Step 1' },
          { role: 'system', content: 'Be terse' },
        ],
      },
      signal(),
    );
    expect(answer.content).toBe('Agent (sonnet-4) read: System:\nBe terse\n\nUser:\nPlan?\n\nAssistant:\nStep 1');
  });

  it('streams the output as it comes', async () => {
    const parts = await collectAll(provider.chatStream(user('stream me please'), signal()));
    const deltas = parts.filter((part): part is Extract<ChatStreamPart, { type: 'text-delta' }> => part.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((part) => part.text).join('')).toBe('Agent (auto) read: stream me please');
    expect(parts.at(-1)).toMatchObject({ type: 'stream-end', finishReason: 'stop' });
  });

  it('maps a failing command to 502 without its stderr (logged, the key scrubbed), a hung one to 504', async () => {
    const failed = await gatewayFailure(provider.chat(user('FAIL now'), signal()));
    expect(failed).toMatchObject({ type: 'upstream_error', details: { upstreamStatus: 502, recovery: 'failover' } });
    expect(failed.message).toContain('code 3');
    expect(failed.message).not.toContain('not logged in');
    await waitFor(() => adapterApp.app.output().includes('not logged in'));
    expect(adapterApp.app.output()).not.toContain(cursorKey);
    const hung = await gatewayFailure(provider.chat(user('HANG'), signal()));
    expect(hung).toMatchObject({ type: 'upstream_error', details: { upstreamStatus: 504, recovery: 'failover' } });
  });

  it('sends an error event, without stderr, when the command fails after it began to answer', async () => {
    const error = await gatewayFailure(collectAll(provider.chatStream(user('LATE failure'), signal())));
    expect(error.message).toContain('code 4');
    expect(error.message).not.toContain('connection to Cursor lost');
  });

  it('requires its bearer token and an allowed Host', async () => {
    const url = `${adapterApp.url}/v1/chat/completions`;
    expect((await postJson(url, user('hi'))).status).toBe(401);
    expect((await postJson(url, user('hi'), { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    expect((await postJson(url, user('hi'), bearer)).status).toBe(200);
    const rebound = await rawRequest(adapterApp.url, { ...bearer, host: 'attacker.example:3210' });
    expect(rebound).toBe(421);
  });

  it('passes the prompt after --, so a message "--force" is not an option; a model may not be one either', async () => {
    expect((await provider.chat(user('--force'), signal())).content).toBe('Agent (auto) read: --force');
    const optionModel = await postJson(`${adapterApp.url}/v1/chat/completions`, { ...user('hi'), model: '--force' }, bearer);
    expect(optionModel.status).toBe(400);
  });

  it('runs the agent with PATH, HOME and the Cursor key only', async () => {
    const names = (await provider.chat(user('ENV'), signal())).content.replace('Agent (auto) read: ', '').split(',');
    expect(names.every((name) => ['PATH', 'HOME', 'CURSOR_API_KEY'].includes(name))).toBe(true);
    expect(names).toContain('CURSOR_API_KEY');
    expect(names).not.toContain('SOME_OTHER_SECRET');
  });

  it('refuses bad input with 400 and unknown routes with 404, in its error envelope', async () => {
    const missing = await postJson(`${adapterApp.url}/v1/chat/completions`, { model: 'auto' }, bearer);
    expect(missing).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', code: 400 } } });
    expect((missing.body as { error: { message: string } }).error.message).toContain('messages');
    expect((await postJson(`${adapterApp.url}/v1/chat/completions`, '{"messages": [', bearer)).status).toBe(400);
    expect((await postJson(`${adapterApp.url}/v1/nothing`, {}, bearer)).status).toBe(404);
  });

  it('answers 503 past its concurrency and frees the slot of a client that went away', async () => {
    const controllers = [new AbortController(), new AbortController()];
    const hanging = controllers.map((controller) =>
      fetch(`${adapterApp.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer },
        body: JSON.stringify(user('HANG')),
        signal: controller.signal,
      }).catch(() => undefined),
    );
    const health = async () => (await (await fetch(`${adapterApp.url}/healthz`)).json()) as { running: number };
    await waitFor(async () => (await health()).running === 2);
    const busy = await postJson(`${adapterApp.url}/v1/chat/completions`, user('one more'), bearer);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    for (const controller of controllers) controller.abort();
    await Promise.all(hanging);
    await waitFor(async () => (await health()).running === 0, 10_000);
    expect(adapterApp.app.child.exitCode).toBeNull();
  });

  it('can hand the prompt over on stdin', async () => {
    const stdinApp = await startAdapter({ CURSOR_AGENT_PROMPT_VIA: 'stdin' });
    const viaStdin = createCursorAdapter({ baseUrl: stdinApp.url, token, timeoutMs: 10_000 });
    try {
      expect((await viaStdin.chat(user('on stdin'), signal())).content).toBe('Agent (auto) read: on stdin');
    } finally {
      await viaStdin.close();
      await stdinApp.app.stop();
    }
  });
});

describe('the gateway consulting a Cursor agent through the adapter', () => {
  const { gateway } = useGateway({
    name: 'cursor',
    env: () => ({ LLM_PROVIDER: 'mock', CURSOR_ADAPTER_URL: adapterApp.url, CURSOR_ADAPTER_TOKEN: token }),
  });

  it('routes cursor/<model> to the adapter, prefix stripped', async () => {
    const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages: [{ role: 'user', content: 'review my diff' }], model: 'cursor/auto' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ provider: 'cursor', content: 'Agent (auto) read: review my diff' });
  });
});
