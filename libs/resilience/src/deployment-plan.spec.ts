import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@gateway/config';
import { createBusyTracker, createSmoothWeights } from './deployment-choice';
import { planDeployments, planRequest } from './deployment-plan';

const configOf = (lines: string[], env: Record<string, string> = {}) => {
  const path = join(mkdtempSync(join(tmpdir(), 'plan-')), 'gateway.yaml');
  writeFileSync(path, lines.join('\n'));
  return loadConfig({
    REDIS_URL: 'redis://127.0.0.1:1',
    LLM_PROVIDER: 'openrouter',
    OPENROUTER_API_KEY: 'key',
    GATEWAY_CONFIG_FILE: path,
    KEY_A: 'a',
    KEY_B: 'b',
    ...env,
  });
};
const configWith = (deployments: string[]) => configOf(['deployments:', ...deployments]);

describe('deployment plans', () => {
  const choice = { busy: createBusyTracker(), smooth: createSmoothWeights() };

  it('are kept for a model served by one deployment, each job given attempts of its own', () => {
    const config = configWith(['  - { id: or-a, provider: openrouter, base_url: "http://127.0.0.1:1/api/v1", api_key_env: KEY_A, rpm: 10 }']);
    const first = planDeployments(config, 'some/model', choice)!;
    const second = planDeployments(config, 'some/model', choice)!;
    expect(second).toEqual(first);
    expect(first[0]).toMatchObject({ provider: 'openrouter', deployment: 'or-a' });
    // Hooks keep per-call state by attempt: a job's must never be another's.
    expect(second[0]).not.toBe(first[0]);
    expect(planDeployments(config, 'some/model', choice)![0]).not.toBe(second[0]);
  });

  it('choose again for every job among several deployments', () => {
    const config = configWith([
      '  - { id: or-a, provider: openrouter, base_url: "http://127.0.0.1:1/api/v1", api_key_env: KEY_A, weight: 1 }',
      '  - { id: or-b, provider: openrouter, base_url: "http://127.0.0.1:2/api/v1", api_key_env: KEY_B, weight: 1 }',
    ]);
    const firsts = Array.from({ length: 4 }, () => planDeployments(config, 'some/model', choice)![0]!.deployment);
    expect(new Set(firsts)).toEqual(new Set(['or-a', 'or-b']));
  });
});

describe('request plans (what the API checks and prices, and the workers call)', () => {
  const teamA = '  - { id: or-team-a, provider: openrouter, base_url: "http://127.0.0.1:1/api/v1", api_key_env: KEY_A }';

  it("plan a group's name onto its targets, whatever the env's primary provider, then its fallbacks", () => {
    const config = configOf(
      [
        'deployments:',
        teamA,
        'models:',
        '  claude-sonnet: { targets: [{ deployment: or-team-a, model: anthropic/claude-sonnet-4.5 }], fallbacks: [ollama/qwen2.5-coder:7b] }',
      ],
      { LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-openai' },
    );
    const plan = planRequest(config, 'claude-sonnet');
    expect(plan.attempts).toEqual([
      { provider: 'openrouter', model: 'anthropic/claude-sonnet-4.5', deployment: 'or-team-a' },
      { provider: 'ollama', model: 'qwen2.5-coder:7b' },
    ]);
    // The operator chose the targets as one model: embeddings take any of them.
    expect(plan.embeddingsModel).toBeUndefined();
  });

  it("plan a name outside the groups onto its provider's deployments, embeddings held to the model named", () => {
    const config = configOf(['deployments:', teamA]);
    expect(planRequest(config, 'openai/text-embedding-3-small')).toMatchObject({
      attempts: [{ provider: 'openrouter', model: 'openai/text-embedding-3-small', deployment: 'or-team-a' }],
      embeddingsModel: 'openai/text-embedding-3-small',
    });
  });

  it('are the provider chain without a file', () => {
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:1', LLM_PROVIDER: 'openrouter', OPENROUTER_API_KEY: 'key', LLM_FALLBACKS: 'ollama' });
    expect(planRequest(config, 'some/model').attempts.map((attempt) => [attempt.provider, attempt.deployment])).toEqual([
      ['openrouter', undefined],
      ['ollama', undefined],
    ]);
  });

  it('refuse a name no deployment serves', () => {
    const config = configOf([
      'deployments:',
      '  - { id: or-only, provider: openrouter, base_url: "http://127.0.0.1:1/api/v1", api_key_env: KEY_A, models: ["anthropic/*"] }',
    ]);
    expect(() => planRequest(config, 'openai/gpt-4o')).toThrow('model: no deployment serves openai/gpt-4o');
  });
});
