import { useGateway } from '@gateway/testing';
import { ForbiddenError, GatewayAdminClient, GatewayLLMClient, UnauthorizedError } from './index';

const adminToken = 'client-admin-token-0123456789';
const messages = [{ role: 'user' as const, content: 'Hello' }];

const { gateway } = useGateway({
  name: 'client-admin',
  env: { LLM_PROVIDER: 'mock', LLM_DEFAULT_MODEL: 'mock/echo', GATEWAY_ADMIN_TOKEN: adminToken },
});

describe('GatewayAdminClient', () => {
  it('creates a key an agent’s GatewayLLMClient then uses, within its allow-list, until it is revoked', async () => {
    const admin = new GatewayAdminClient({ baseUrl: gateway.baseUrl, token: adminToken });
    const created = await admin.createKey({ name: 'team-a', models: ['mock/*'], daily_budget_usd: 20, agent_id: 'team-a-agent' });
    const agent = new GatewayLLMClient({ baseUrl: gateway.baseUrl, token: created.key });
    expect((await agent.chat('ignored', messages)).content).toBe('Mock reply to: Hello');
    await expect(agent.chat('ignored', messages, { model: 'openai/gpt-4o' })).rejects.toBeInstanceOf(ForbiddenError);

    const shown = await admin.getKey(created.id);
    expect(shown.usage.day).toMatchObject({ jobs: 1, budget_usd: 20, by_agent: { 'team-a-agent': 0 } });
    const listed = (await admin.listKeys()).find((key) => key.id === created.id);
    expect(listed?.spend.day).toMatchObject({ spent_usd: 0, budget_usd: 20, remaining_usd: 20 });
    expect(await admin.updateKey(created.id, { daily_budget_usd: null })).toMatchObject({ daily_budget_usd: null });

    const rotated = await admin.rotateKey(created.id);
    await expect(agent.chat('ignored', messages)).rejects.toBeInstanceOf(UnauthorizedError);
    const rotatedAgent = new GatewayLLMClient({ baseUrl: gateway.baseUrl, token: rotated.key });
    expect((await rotatedAgent.chat('x', messages)).content).toBe('Mock reply to: Hello');
    await admin.revokeKey(created.id);
    await expect(rotatedAgent.chat('x', messages)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('an agent’s key cannot manage keys', async () => {
    const admin = new GatewayAdminClient({ baseUrl: gateway.baseUrl, token: adminToken });
    const { key } = await admin.createKey({ name: 'curious' });
    await expect(new GatewayAdminClient({ baseUrl: gateway.baseUrl, token: key }).listKeys()).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
