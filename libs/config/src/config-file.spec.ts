import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config';
import { loadGatewayFile } from './config-file';

const dir = mkdtempSync(join(tmpdir(), 'gw-config-file-'));
const fileOf = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const env = { OR_KEY_A: 'sk-or-a', OR_KEY_B: 'sk-or-b' };

const example = `
deployments:
  - id: or-a
    provider: openrouter
    base_url: https://openrouter.ai/api/v1/
    api_key_env: OR_KEY_A
    rpm: 600
    tpm: 200000
    max_concurrency: 64
  - { id: or-b, provider: openrouter, api_key_env: OR_KEY_B, weight: 3, models: ["anthropic/*"] }
  - { id: gpu-1, provider: ollama, base_url: "http://10.0.0.1:11434" }
models:
  claude-sonnet:
    targets: [{ deployment: or-a, model: anthropic/claude-sonnet-4.5 }, { provider: ollama, model: "qwen2.5-coder:7b", weight: 2 }]
    fallbacks: [ollama/qwen2.5-coder:7b]
aliases: { claude-sonnet-4-5: claude-sonnet }
routing: least_busy
`;

describe('GATEWAY_CONFIG_FILE', () => {
  it('reads deployments, model groups, aliases and routing from YAML, keys from the variables it names', () => {
    const file = loadGatewayFile(fileOf('gateway.yaml', example), env);
    expect(file.deployments).toEqual([
      {
        id: 'or-a',
        provider: 'openrouter',
        baseUrl: 'https://openrouter.ai/api/v1',
        apiKeyVariable: 'OR_KEY_A',
        apiKey: 'sk-or-a',
        models: ['*'],
        weight: 1,
        rpm: 600,
        tpm: 200000,
        maxConcurrency: 64,
      },
      { id: 'or-b', provider: 'openrouter', apiKeyVariable: 'OR_KEY_B', apiKey: 'sk-or-b', models: ['anthropic/*'], weight: 3 },
      { id: 'gpu-1', provider: 'ollama', baseUrl: 'http://10.0.0.1:11434', models: ['*'], weight: 1 },
    ]);
    expect(file.models['claude-sonnet']?.targets[1]).toEqual({ provider: 'ollama', model: 'qwen2.5-coder:7b', weight: 2 });
    expect(file.models['claude-sonnet']?.fallbacks).toEqual(['ollama/qwen2.5-coder:7b']);
    expect(file.aliases).toEqual({ 'claude-sonnet-4-5': 'claude-sonnet' });
    expect(file.routing).toBe('least_busy');
    expect(file.windowMs).toBe(60_000);
  });

  it('reads the same from JSON, and loadConfig keeps it (frozen) under `file`', () => {
    const path = fileOf('gateway.json', JSON.stringify({ deployments: [{ id: 'or-a', provider: 'openrouter', api_key_env: 'OR_KEY_A' }], window_seconds: 2 }));
    const config = loadConfig({ ...env, MOCK_PROVIDER_ENABLED: 'true', LLM_PROVIDER: 'mock', GATEWAY_CONFIG_FILE: path });
    expect(config.file.deployments.map((deployment) => deployment.id)).toEqual(['or-a']);
    expect(config.file.windowMs).toBe(2000);
    expect(Object.isFrozen(config.file.deployments[0])).toBe(true);
  });

  it('is empty without the variable: each provider stays one implicit deployment', () => {
    const config = loadConfig({ MOCK_PROVIDER_ENABLED: 'true', LLM_PROVIDER: 'mock' });
    expect(config.file).toEqual({ deployments: [], models: {}, aliases: {}, routing: 'weighted', windowMs: 60_000 });
  });

  it.each([
    ['a limit that is not a whole number', 'deployments: [{ id: a, provider: openrouter }, { id: b, provider: openrouter, rpm: 1.5 }]', 'deployments[1].rpm'],
    ['an unknown provider', 'deployments: [{ id: a, provider: gemini }]', 'deployments[0].provider'],
    ['a key written in the file', 'deployments: [{ id: a, provider: openrouter, api_key_env: "sk-or-v1-abc" }]', 'deployments[0].api_key_env'],
    [
      'a key variable that is not set',
      'deployments: [{ id: a, provider: openrouter, api_key_env: OR_KEY_C }]',
      'deployments[0].api_key_env: OR_KEY_C is not set',
    ],
    ['an id declared twice', 'deployments: [{ id: a, provider: openrouter }, { id: a, provider: ollama }]', 'deployments[1].id: "a" is declared twice'],
    [
      "an id that is a provider's name",
      'deployments: [{ id: a, provider: openrouter }, { id: ollama, provider: openrouter }]',
      'deployments[1].id: "ollama" is a provider\'s name',
    ],
    ['a field the file does not know', 'deployments: [{ id: a, provider: openrouter, api_key: x }]', 'deployments[0]'],
    [
      'a target naming no declared deployment',
      'models: { g: { targets: [{ deployment: nope, model: m }] } }',
      'models.g.targets[0].deployment: no deployment "nope"',
    ],
    ['a target naming neither deployment nor provider', 'models: { g: { targets: [{ model: m }] } }', 'models.g.targets[0]'],
    ['a group without targets', 'models: { g: { targets: [] } }', 'models.g.targets'],
    ['an unknown routing', 'routing: fastest', 'routing'],
    ['a base URL that is not http', 'deployments: [{ id: a, provider: ollama, base_url: "ftp://x" }]', 'deployments[0].base_url'],
  ])('refuses %s, naming the entry', (_label, text, path) => {
    const file = fileOf('bad.yaml', text);
    expect(() => loadGatewayFile(file, env)).toThrow(`GATEWAY_CONFIG_FILE (${file}): ${path}`);
    expect(() => loadConfig({ ...env, MOCK_PROVIDER_ENABLED: 'true', LLM_PROVIDER: 'mock', GATEWAY_CONFIG_FILE: file })).toThrow(path);
  });

  it('refuses a file it cannot read or parse, and a name that is neither YAML nor JSON', () => {
    expect(() => loadGatewayFile(join(dir, 'absent.yaml'), env)).toThrow(/GATEWAY_CONFIG_FILE \(.*absent\.yaml\): ENOENT/);
    expect(() => loadGatewayFile(fileOf('broken.yaml', 'deployments: [ {'), env)).toThrow(/broken\.yaml\): /);
    expect(() => loadGatewayFile(fileOf('broken.json', '{"deployments": '), env)).toThrow(/broken\.json\): /);
    expect(() => loadGatewayFile(fileOf('gateway.toml', 'x = 1'), env)).toThrow('must end in .yaml, .yml or .json');
  });

  it('never repeats a key in its errors', () => {
    const file = fileOf('leak.yaml', 'deployments: [{ id: a, provider: openrouter, api_key_env: OR_KEY_A, rpm: -1 }]');
    expect(() => loadGatewayFile(file, env)).toThrow('deployments[0].rpm');
    try {
      loadGatewayFile(file, env);
    } catch (error) {
      expect(String(error)).not.toContain('sk-or-a');
    }
  });
});
