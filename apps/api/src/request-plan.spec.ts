import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@gateway/config';
import { servablePlan } from './request-plan';

/** LLM_PROVIDER is OpenAI; the file's groups go to a deployment of OpenRouter and to Anthropic; one Ollama machine serves llama3 only. */
function config() {
  const path = join(mkdtempSync(join(tmpdir(), 'request-plan-')), 'gateway.yaml');
  writeFileSync(
    path,
    [
      'deployments:',
      '  - { id: or-team-a, provider: openrouter, base_url: "http://127.0.0.1:1/api/v1", api_key_env: OR_KEY_A }',
      '  - { id: gpu-1, provider: ollama, base_url: "http://127.0.0.1:2", models: ["llama3*"] }',
      'models:',
      '  claude-sonnet: { targets: [{ deployment: or-team-a, model: anthropic/claude-sonnet-4.5 }] }',
      '  claude-direct: { targets: [{ provider: anthropic, model: claude-sonnet-4-5 }] }',
    ].join('\n'),
  );
  return loadConfig({
    REDIS_URL: 'redis://127.0.0.1:1',
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-openai',
    ANTHROPIC_API_KEY: 'sk-ant',
    OR_KEY_A: 'sk-or-a',
    GATEWAY_CONFIG_FILE: path,
  });
}

const messages = [{ role: 'user' as const, content: 'hi' }];

describe('servablePlan', () => {
  it("checks a group's name against its targets, not the env's primary provider", () => {
    expect(servablePlan(config(), { model: 'claude-sonnet', messages, top_k: 5 })).toEqual([
      { provider: 'openrouter', model: 'anthropic/claude-sonnet-4.5', deployment: 'or-team-a' },
    ]);
    // A name outside the groups still goes to the primary, which refuses the field.
    expect(() => servablePlan(config(), { model: 'gpt-4o', messages, top_k: 5 })).toThrow('top_k: not supported by openai');
  });

  it('refuses embeddings of a group whose targets cannot embed, naming the field', () => {
    const embeddings = { kind: 'embeddings' as const, model: 'claude-direct', embeddings: { input: ['text'], encoding_format: 'float' as const } };
    expect(() => servablePlan(config(), embeddings, 'requests.2.')).toThrow('requests.2.embeddings: not supported by anthropic');
  });

  it('refuses a model no deployment serves, the field placed in a batch body', () => {
    expect(() => servablePlan(config(), { model: 'ollama/qwen2.5-coder:7b', messages })).toThrow('model: no deployment serves ollama/qwen2.5-coder:7b');
    expect(() => servablePlan(config(), { model: 'ollama/qwen2.5-coder:7b', messages }, 'requests.0.')).toThrow('requests.0.model: no deployment serves');
  });
});
