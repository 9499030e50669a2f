import { callbackUrlProblem } from './callback-url';

describe('callbackUrlProblem', () => {
  const allowed = ['127.0.0.1', 'hooks.example.com:8443'];

  it.each([
    ['http://127.0.0.1:9000/hook'],
    ['https://127.0.0.1/hook'],
    ['https://HOOKS.example.com:8443/x?y=1'],
  ])('allows %s', (url) => {
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
  ])('refuses %s (%s)', (url, reason) => {
    expect(callbackUrlProblem(url, allowed)).toContain(reason);
  });

  it('refuses everything when no host is allowed', () => {
    expect(callbackUrlProblem('http://127.0.0.1/x', [])).toContain('not in the allowed');
  });
});
