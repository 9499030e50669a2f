import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobView, noRateLimit, postJson, useGateway, waitFor, type OpenRouterBehaviour, type RecordedRequest } from '@gateway/testing';

/**
 * A deployment with a tokens-per-window limit, two workers, a backlog of queued jobs: the window is scaled down
 * from a minute to WINDOW_MS (the file's `window_seconds`), the limit kept. The fake enforces the same limit over a
 * sliding window, as a provider does, and answers 429 past it.
 */
const WINDOW_MS = 3000;
const TPM = 6000;
const JOBS = 200;
const PROMPT_WORDS = 250;
const ANSWER = Array.from({ length: 50 }, () => 'tok').join(' ');

const arrivals: { at: number; tokens: number; interactive: boolean }[] = [];
let refused = 0;

const words = (request: RecordedRequest) =>
  ((request.body as { messages?: { content?: string }[] }).messages ?? []).reduce(
    (sum, message) =>
      sum +
      String(message.content ?? '')
        .split(/\s+/)
        .filter(Boolean).length,
    0,
  );

function behave(request: RecordedRequest): OpenRouterBehaviour {
  const at = Date.now();
  const tokens = words(request) + 50;
  const inWindow = arrivals.filter((arrival) => arrival.at > at - WINDOW_MS).reduce((sum, arrival) => sum + arrival.tokens, 0);
  if (inWindow + tokens > TPM) {
    refused += 1;
    return { kind: 'status', status: 429, retryAfter: '1', body: { error: { message: 'Rate limit exceeded: tokens per minute', code: 429 } } };
  }
  const content = String((request.body as { messages?: { content?: string }[] }).messages?.[0]?.content ?? '');
  arrivals.push({ at, tokens, interactive: content.startsWith('interactive') });
  return { kind: 'reply', content: ANSWER };
}

const KEY = 'sk-or-capacity';
const suite = useGateway({
  name: 'deployment-capacity',
  openRouter: { apiKey: KEY, behave },
  workers: 2,
  env: ({ fake }) => {
    const path = join(mkdtempSync(join(tmpdir(), 'gw-capacity-')), 'gateway.json');
    writeFileSync(
      path,
      JSON.stringify({
        deployments: [{ id: 'or-metered', provider: 'openrouter', base_url: fake!.baseUrl, api_key_env: 'OR_KEY_METERED', tpm: TPM }],
        window_seconds: WINDOW_MS / 1000,
      }),
    );
    return { ...noRateLimit, GATEWAY_LIMITS_ENABLED: 'false', OR_KEY_METERED: KEY, GATEWAY_CONFIG_FILE: path, PROVIDER_INTERACTIVE_RESERVE: '0.1' };
  },
});

const prompt = (label: string) => `${label} ${Array.from({ length: PROMPT_WORDS - 1 }, () => 'abc').join(' ')}`;

/** The most tokens the fake saw over any window of WINDOW_MS. */
function busiestWindow(): number {
  const sorted = [...arrivals].sort((left, right) => left.at - right.at);
  let most = 0;
  for (let start = 0; start < sorted.length; start += 1) {
    let sum = 0;
    for (let index = start; index < sorted.length && sorted[index]!.at < sorted[start]!.at + WINDOW_MS; index += 1) sum += sorted[index]!.tokens;
    most = Math.max(most, sum);
  }
  return most;
}

describe('a deployment at its tokens per minute, across two workers', () => {
  it('holds a backlog in the queue within the limit (no 429), serves an interactive call first, and finishes every job', async () => {
    const base = suite.gateway.baseUrl;
    const ids = await Promise.all(
      Array.from({ length: JOBS }, async (_, index) => {
        const { status, body } = await postJson(`${base}/v1/jobs`, {
          agent_id: 'batchy',
          max_tokens: 60,
          messages: [{ role: 'user', content: prompt(`job-${index}`) }],
        });
        expect(status).toBe(202);
        return (body as { job_id: string }).job_id;
      }),
    );
    // The backlog waits for room: a window's worth has gone, the rest is queued (delayed, with the reason in its log).
    await waitFor(() => arrivals.length >= 15, 20_000, 50);
    const startedAt = Date.now();
    const interactive = await postJson(`${base}/v1/chat`, { agent_id: 'human', max_tokens: 60, messages: [{ role: 'user', content: prompt('interactive') }] });
    const interactiveMs = Date.now() - startedAt;
    expect({ status: interactive.status, refused }).toEqual({ status: 200, refused: 0 });
    const servedBefore = arrivals.findIndex((arrival) => arrival.interactive);
    // Served within about a slice of the window, while most of the backlog queued before it still waits.
    expect(interactiveMs).toBeLessThan(WINDOW_MS);
    expect(servedBefore).toBeLessThan(JOBS / 2);

    await waitFor(() => arrivals.length >= JOBS + 1, 180_000, 250);
    const views = await Promise.all(ids.map((id) => jobView(base, id)));
    expect(views.filter((view) => view?.status === 'completed')).toHaveLength(JOBS);
    expect(refused).toBe(0);
    expect(busiestWindow()).toBeLessThanOrEqual(TPM);
    // Over the whole run the deployment was kept busy: at least 40% of what the limit allows (a window this short
    // counts two seconds more than itself, for the delays of a loaded machine; a minute's window, 5 s more).
    const first = Math.min(...arrivals.map((arrival) => arrival.at));
    const last = Math.max(...arrivals.map((arrival) => arrival.at));
    const tokens = arrivals.reduce((sum, arrival) => sum + arrival.tokens, 0);
    expect(tokens / ((last - first + WINDOW_MS) / WINDOW_MS)).toBeGreaterThan(TPM * 0.4);

    const providers = (await (await fetch(`${base}/v1/providers`)).json()) as { deployments: { id: string; tokens: number; limits: { tpm: number } }[] };
    const metered = providers.deployments.find((deployment) => deployment.id === 'or-metered')!;
    expect(metered.limits.tpm).toBe(TPM);
    expect(metered.tokens).toBeLessThanOrEqual(TPM);
  }, 240_000);
});
