import { callbackUrlProblem } from './callback-url';

describe('callbackUrlProblem', () => {
  const allowed = ['127.0.0.1', 'hooks.example.com:8443'];

  it.each([['https://127.0.0.1/hook'], ['http://127.0.0.1:80/hook'], ['https://HOOKS.example.com:8443/x?y=1']])('allows %s', (url) => {
    expect(callbackUrlProblem(url, allowed)).toBeUndefined();
  });

  it.each([
    ['not a url', 'not a valid URL'],
    ['ftp://127.0.0.1/x', 'http or https'],
    ['file:///etc/passwd', 'http or https'],
    ['http://169.254.169.254/latest/meta-data', 'not in the allowed'],
    ['http://localhost:9000/', 'not in the allowed'],
    ['https://hooks.example.com/x', 'not in the allowed'],
    ['http://user:pw@127.0.0.1/x', 'credentials'],
    ['http://127.0.0.1:9000/hook', 'not in the allowed'],
    ['http://127.0.0.1:6379/', 'not in the allowed'],
  ])('refuses %s (%s)', (url, reason) => {
    expect(callbackUrlProblem(url, allowed)).toContain(reason);
  });

  it('a host:port entry allows that port only; [v6]:port entries parse; CIDR entries allow no host', () => {
    expect(callbackUrlProblem('http://127.0.0.1:9000/hook', ['127.0.0.1:9000'])).toBeUndefined();
    expect(callbackUrlProblem('http://127.0.0.1:9001/hook', ['127.0.0.1:9000'])).toContain('not in the allowed');
    expect(callbackUrlProblem('http://[::1]:9000/hook', ['[::1]:9000'])).toBeUndefined();
    expect(callbackUrlProblem('http://10.0.0.0/hook', ['10.0.0.0/8'])).toContain('not in the allowed');
  });

  it('refuses everything when no host is allowed', () => {
    expect(callbackUrlProblem('http://127.0.0.1/x', [])).toContain('not in the allowed');
  });
});
