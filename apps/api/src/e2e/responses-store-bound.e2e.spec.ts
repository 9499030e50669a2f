import { callsFor, noRateLimit, scriptedBehaviour, useGateway, waitFor } from '@gateway/testing';

// One API, one worker, the fake OpenRouter: a key keeps at most RESPONSES_MAX_PER_KEY stored responses, also when
// its requests race, and a response refused for it never reaches the provider.
jest.setTimeout(60_000);
const ADMIN = 'admin-token-for-store-bound';
const suite = useGateway({
  name: 'rbound',
  openRouter: { apiKey: 'sk-or-rbound', behave: scriptedBehaviour },
  env: { GATEWAY_ADMIN_TOKEN: ADMIN, RESPONSES_MAX_PER_KEY: '3', ...noRateLimit },
  gateway: false,
});
const { fake } = suite;
const api = suite.addApi();
suite.addWorker();

async function createKey(): Promise<string> {
  const response = await fetch(`${api.baseUrl}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bound' }),
  });
  return ((await response.json()) as { key: string }).key;
}

const create = async (key: string, body: Record<string, unknown>) => {
  const response = await fetch(`${api.baseUrl}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'openrouter/bench', ...body }),
  });
  return { status: response.status, body: (await response.json()) as { id?: string; error?: { type: string; message: string } } };
};

describe('the stored responses of a key', () => {
  it('keeps at most the bound against racing requests; a refused one is a 403 and never runs', async () => {
    const key = await createKey();
    const inputs = Array.from({ length: 10 }, (_, index) => `bound-race-${index}`);
    const answers = await Promise.all(inputs.map((input) => create(key, { input })));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(3);
    const refused = answers.filter((answer) => answer.status === 403);
    expect(refused).toHaveLength(7);
    expect(refused[0]!.body.error).toMatchObject({ message: expect.stringContaining('3') });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const called = inputs.filter((input) => callsFor(fake, input) > 0);
    expect(called).toHaveLength(3);

    // Not stored: not bound.
    expect((await create(key, { input: 'bound-unstored', store: false })).status).toBe(200);
    // One deleted: room for one more, and only one.
    const kept = answers.find((answer) => answer.status === 200)!.body.id!;
    const deleted = await fetch(`${api.baseUrl}/v1/responses/${kept}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
    expect(deleted.status).toBe(200);
    expect((await create(key, { input: 'bound-again' })).status).toBe(200);
    expect((await create(key, { input: 'bound-over' })).status).toBe(403);
    await waitFor(() => callsFor(fake, 'bound-again') === 1);
    expect(callsFor(fake, 'bound-over')).toBe(0);
  });
});
