import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const read = (name: string) => readFileSync(join(root, name), 'utf8');

/** The compose file's `ports:` entries (quoted "a:b" or "ip:a:b" lines under a ports key). */
function publishedPorts(compose: string): string[] {
  return [...compose.matchAll(/^\s+ports:\n((?:\s+- .+\n)+)/gm)].flatMap((match) => [...match[1]!.matchAll(/- "?([^"\n]+)"?/g)].map((entry) => entry[1]!));
}

describe('deployment files', () => {
  it('docker-compose.yml: Redis requires a password that every REDIS_URL carries', () => {
    const compose = read('docker-compose.yml');
    expect(compose).toMatch(/"--requirepass", "\$\{REDIS_PASSWORD:\?/);
    const urls = [...compose.matchAll(/REDIS_URL: (.+)/g)].map((match) => match[1]);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url).toContain(':${REDIS_PASSWORD');
  });

  it('docker-compose.yml: every published port is bound to 127.0.0.1', () => {
    const ports = publishedPorts(read('docker-compose.yml'));
    expect(ports).toContain('127.0.0.1:8080:8080');
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it('docker-compose.yml: the API, listening beyond loopback in its container, requires the admin token', () => {
    const compose = read('docker-compose.yml');
    expect(compose).toMatch(/GATEWAY_HOST: 0\.0\.0\.0/);
    expect(compose).toMatch(/GATEWAY_ADMIN_TOKEN: \$\{GATEWAY_ADMIN_TOKEN:\?/);
  });

  it('.dockerignore keeps .env and .git out of the image', () => {
    const entries = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    expect(entries).toEqual(expect.arrayContaining(['.env', '.git']));
  });
});
