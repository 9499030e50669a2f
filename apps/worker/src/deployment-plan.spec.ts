import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@gateway/config';
import { createBusyTracker, createSmoothWeights } from './deployment-choice';
import { planDeployments } from './deployment-plan';

const configWith = (deployments: string[]) => {
  const path = join(mkdtempSync(join(tmpdir(), 'plan-')), 'gateway.yaml');
  writeFileSync(path, ['deployments:', ...deployments].join('\n'));
  return loadConfig({
    REDIS_URL: 'redis://127.0.0.1:1',
    LLM_PROVIDER: 'openrouter',
    OPENROUTER_API_KEY: 'key',
    GATEWAY_CONFIG_FILE: path,
    KEY_A: 'a',
    KEY_B: 'b',
  });
};

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
