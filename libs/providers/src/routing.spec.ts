import { resolveRoute } from './routing';

const options = { primary: 'openrouter' as const, defaultModel: 'thudm/glm-4-9b-chat' };

describe('resolveRoute', () => {
  it.each([
    ['ollama/qwen2.5-coder:7b', 'ollama', 'qwen2.5-coder:7b', true],
    ['mock/echo', 'mock', 'echo', true],
    ['cursor/agent', 'cursor', 'agent', true],
    ['thudm/glm-4-9b-chat', 'openrouter', 'thudm/glm-4-9b-chat', false],
    ['anthropic/claude-3.5-sonnet', 'openrouter', 'anthropic/claude-3.5-sonnet', false],
    ['openai/gpt-4o', 'openrouter', 'openai/gpt-4o', false],
    ['gpt-4o', 'openrouter', 'gpt-4o', false],
  ])('routes %s to %s as %s', (model, provider, upstreamModel, pinned) => {
    expect(resolveRoute(model, options)).toEqual({ provider, upstreamModel, pinned });
  });

  it('uses the default model when none is given', () => {
    expect(resolveRoute(undefined, options)).toEqual({ provider: 'openrouter', upstreamModel: 'thudm/glm-4-9b-chat', pinned: false });
    expect(resolveRoute('  ', { primary: 'mock', defaultModel: 'mock/echo' })).toEqual({ provider: 'mock', upstreamModel: 'echo', pinned: true });
  });
});
