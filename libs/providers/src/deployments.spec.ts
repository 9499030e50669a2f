import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@gateway/config';
import { deploymentTable } from './deployments';

function configWith(file: string) {
  const path = join(mkdtempSync(join(tmpdir(), 'gw-deployment-table-')), 'gateway.yaml');
  writeFileSync(path, file);
  return loadConfig({ GATEWAY_CONFIG_FILE: path, OR_KEY_A: 'sk-or-a', OR_KEY_B: 'sk-or-b' });
}

describe("a provider's deployments", () => {
  it("are the file's where it declares some, in its order", () => {
    const table = deploymentTable(
      configWith(
        [
          'deployments:',
          '  - { id: or-a, provider: openrouter, api_key_env: OR_KEY_A }',
          '  - { id: gpu-1, provider: ollama, base_url: "http://127.0.0.1:11434" }',
          '  - { id: or-b, provider: openrouter, api_key_env: OR_KEY_B }',
        ].join('\n'),
      ),
    );
    expect(table.ofProvider('openrouter').map((deployment) => [deployment.id, deployment.implicit])).toEqual([
      ['or-a', false],
      ['or-b', false],
    ]);
    expect(table.ofProvider('ollama').map((deployment) => deployment.id)).toEqual(['gpu-1']);
  });

  it('are its implicit one, named after it, where the file declares none (or there is no file)', () => {
    const table = deploymentTable(configWith('deployments:\n  - { id: or-a, provider: openrouter, api_key_env: OR_KEY_A }\n'));
    expect(table.ofProvider('mock')).toEqual([{ id: 'mock', provider: 'mock', models: ['*'], weight: 1, implicit: true }]);
    expect(deploymentTable(loadConfig({})).ofProvider('openrouter')).toEqual([
      { id: 'openrouter', provider: 'openrouter', models: ['*'], weight: 1, implicit: true },
    ]);
  });
});
