import { ConfigError } from './config';
import { loadCursorAdapterConfig } from './cursor-adapter-config';

const token = { CURSOR_ADAPTER_TOKEN: 'adapter-token-0123456789' };

describe('loadCursorAdapterConfig', () => {
  it('defaults to the Cursor Agent CLI in headless print mode on 127.0.0.1:3210', () => {
    const config = loadCursorAdapterConfig(token);
    expect(config).toMatchObject({
      port: 3210,
      host: '127.0.0.1',
      command: 'cursor-agent',
      args: ['--print', '--output-format', 'text'],
      promptVia: 'auto',
      maxPromptChars: 1_000_000,
      maxConcurrency: 4,
      allowedHosts: ['localhost', '127.0.0.1', '[::1]'],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('needs none of the gateway variables (no provider key)', () => {
    expect(() => loadCursorAdapterConfig({ ...token, LLM_PROVIDER: 'openrouter' })).not.toThrow();
  });

  it('requires its own token of at least 16 characters', () => {
    expect(() => loadCursorAdapterConfig({})).toThrow('CURSOR_ADAPTER_TOKEN');
    expect(() => loadCursorAdapterConfig({ CURSOR_ADAPTER_TOKEN: 'short' })).toThrow('CURSOR_ADAPTER_TOKEN');
  });

  it.each([
    [{ CURSOR_ADAPTER_PORT: 'x' }, 'CURSOR_ADAPTER_PORT'],
    [{ CURSOR_AGENT_PROMPT_VIA: 'pipe' }, 'CURSOR_AGENT_PROMPT_VIA'],
    [{ CURSOR_AGENT_TIMEOUT_MS: '0' }, 'CURSOR_AGENT_TIMEOUT_MS'],
    [{ CURSOR_AGENT_MAX_PROMPT_CHARS: '0' }, 'CURSOR_AGENT_MAX_PROMPT_CHARS'],
  ])('rejects %j naming %s', (environment, variable) => {
    expect(() => loadCursorAdapterConfig({ ...token, ...environment })).toThrow(ConfigError);
    expect(() => loadCursorAdapterConfig({ ...token, ...environment })).toThrow(variable);
  });
});
