import { Writable } from 'node:stream';
import { redactFields } from './field-redaction';
import { createLogger } from './logger';

describe('redactFields', () => {
  it('hides sensitive fields at any depth up to four levels, whatever their case, in objects, arrays and errors', () => {
    const error = Object.assign(new Error('boom'), { headers: { Authorization: 'Bearer e1' } });
    const input = {
      req: { headers: { authorization: 'Bearer a', cookie: 'session=1', 'X-Api-Key': 'secret-k1-value', 'proxy-authorization': 'p', accept: 'json' } },
      apiKey: 'secret-k2-value',
      upstream: { token: 'secret-k3-value', nested: { password: 'pw', deeper: { secret: 's' } } },
      list: [{ api_key: 'secret-k4-value' }, 'plain'],
      err: error,
      keep: 'visible',
    };
    const output = redactFields(input);
    const text = JSON.stringify(output);
    for (const secret of ['Bearer a', 'session=1', 'secret-k1-value', 'secret-k2-value', 'secret-k3-value', 'secret-k4-value', 'pw', '"s"', 'Bearer e1', '"p"'])
      expect(text).not.toContain(secret);
    expect(output.keep).toBe('visible');
    expect(output.req.headers.accept).toBe('json');
    expect(output.list[1]).toBe('plain');
    expect(output.err).toMatchObject({ type: 'Error', message: 'boom', headers: { Authorization: '[redacted]' } });
    // The caller's objects are left as they were.
    expect(input.req.headers.authorization).toBe('Bearer a');
    expect(error.headers.Authorization).toBe('Bearer e1');
  });

  it.each([
    'openrouter_api_key',
    'access_token',
    'client_secret',
    'refreshToken',
    'X-Goog-Api-Key',
    'db.password',
    'set-cookie',
    'Proxy-Authorization',
    'apiKeys',
    'aws_credentials',
  ])('hides %s (secret-looking names, not only a list)', (name) => {
    expect(JSON.stringify(redactFields({ options: { [name]: 'hidden-value' } }))).not.toContain('hidden-value');
  });

  it.each(['key', 'promptTokens', 'max_tokens', 'tokensLeft', 'model', 'monkeyBusiness'])('keeps %s (not a secret name)', (name) => {
    const clean = { [name]: 'visible' };
    expect(redactFields(clean)).toBe(clean);
  });

  it('walks Error.cause chains, keeping every message', () => {
    const root = Object.assign(new Error('connect refused'), { options: { password: 'pw-in-root-cause' } });
    const middle = new Error('redis down', { cause: root });
    const top = new Error('enqueue failed', { cause: middle });
    const text = JSON.stringify(redactFields({ err: top }));
    expect(text).not.toContain('pw-in-root-cause');
    for (const message of ['enqueue failed', 'redis down', 'connect refused']) expect(text).toContain(message);
  });

  it('stops walking a cause chain that loops', () => {
    const error = Object.assign(new Error('loop'), { token: 't-loop' });
    (error as { cause?: unknown }).cause = error;
    const redacted = redactFields({ err: new Error('top', { cause: error }) });
    const cause = (redacted.err as { cause: Record<string, unknown> }).cause;
    expect(cause).toMatchObject({ message: 'loop', token: '[redacted]' });
  });

  it('gives back the same object when nothing is sensitive (no copy on a clean line)', () => {
    const clean = { requestId: 'r', route: '/v1/chat', nested: { statusCode: 200 }, err: new Error('x') };
    expect(redactFields(clean)).toBe(clean);
  });

  it('stops at the depth limit rather than walking without end', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    expect(() => redactFields(cyclic)).not.toThrow();
  });
});

/** A destination that keeps the lines written to it. */
function capture(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe('the logger', () => {
  it('hides secrets by field name and by value on every line', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'test', level: 'info', secrets: ['sk-secret-value-1'], destination });
    logger.info(
      {
        req: { headers: { authorization: 'Bearer abc', cookie: 'session=1', 'x-api-key': 'secret-k1-value' } },
        apiKey: 'secret-k2-value',
        upstream: { token: 'secret-k3-value' },
      },
      'a',
    );
    logger.warn({ err: new Error('upstream said: invalid key sk-secret-value-1') }, 'b');
    logger.child({ jobId: 'j1' }).info({ headers: { authorization: 'secret-k4-value' } }, 'c');
    const output = lines.join('');
    for (const secret of ['Bearer abc', 'session=1', 'secret-k1-value', 'secret-k2-value', 'secret-k3-value', 'secret-k4-value', 'sk-secret-value-1'])
      expect(output).not.toContain(secret);
    expect(output).toContain('[redacted]');
    expect(output).toContain('upstream said: invalid key');
    expect(output).toContain('"jobId":"j1"');
  });

  it('hides a password inside any URL, and secrets in error causes', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'test', level: 'info', destination });
    logger.info({ redisUrl: 'redis://gw:hunter2-redis@10.0.0.5:6379/0' }, 'connecting');
    logger.error(
      {
        err: new Error('queue unavailable', { cause: Object.assign(new Error('auth failed for rediss://:p%40ss-word@cache:6380'), { client_secret: 'cs-1' }) }),
      },
      'x',
    );
    const output = lines.join('');
    for (const secret of ['hunter2-redis', 'p%40ss-word', 'cs-1']) expect(output).not.toContain(secret);
    expect(output).toContain('redis://gw:[redacted]@10.0.0.5:6379/0');
    expect(output).toContain('auth failed for rediss://:[redacted]@cache:6380');
  });
});
