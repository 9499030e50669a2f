import { loadConfig } from './config';

const mockEnv = { LLM_PROVIDER: 'mock' };
const hostsOf = (environment: Record<string, string>) => loadConfig({ ...mockEnv, ...environment }).http.allowedHosts;

describe('allowed Host names (API_ALLOWED_HOSTS)', () => {
  it('default to the loopback names on a loopback address', () => {
    expect(hostsOf({})).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(hostsOf({ GATEWAY_HOST: '127.0.0.2' })).toEqual(['localhost', '127.0.0.1', '[::1]', '127.0.0.2']);
    expect(hostsOf({ GATEWAY_HOST: '::1' })).toEqual(['localhost', '127.0.0.1', '[::1]']);
  });

  it('default to any host on another address (the operator’s names are not known)', () => {
    expect(hostsOf({ GATEWAY_HOST: '0.0.0.0' })).toEqual([]);
  });

  it('are the configured names when given, lower-cased', () => {
    expect(hostsOf({ API_ALLOWED_HOSTS: 'Gateway.Internal, localhost' })).toEqual(['gateway.internal', 'localhost']);
    expect(hostsOf({ GATEWAY_HOST: '0.0.0.0', API_ALLOWED_HOSTS: 'gw.example' })).toEqual(['gw.example']);
  });
});

describe('GATEWAY_AUTH_TOKEN', () => {
  it('unset or empty means no authentication', () => {
    expect(loadConfig(mockEnv).http.authToken).toBeUndefined();
    expect(loadConfig({ ...mockEnv, GATEWAY_AUTH_TOKEN: '' }).http.authToken).toBeUndefined();
  });

  it.each([
    ['only whitespace (used to turn auth off silently)', '   ', 'only whitespace'],
    ['a tab and a newline', '\t\n', 'only whitespace'],
    ['shorter than 16 characters', 'short-token', 'at least 16'],
    ['short once trimmed', '  fifteen-chars!  ', 'at least 16'],
  ])('refuses a token that is %s, naming the variable', (_label, value, reason) => {
    expect(() => loadConfig({ ...mockEnv, GATEWAY_AUTH_TOKEN: value })).toThrow(/GATEWAY_AUTH_TOKEN.*(only whitespace|at least 16)/);
    expect(() => loadConfig({ ...mockEnv, GATEWAY_AUTH_TOKEN: value })).toThrow(reason);
  });

  it('keeps a long enough token, trimmed', () => {
    expect(loadConfig({ ...mockEnv, GATEWAY_AUTH_TOKEN: ' sixteen-chars-ok ' }).http.authToken).toBe('sixteen-chars-ok');
  });
});
