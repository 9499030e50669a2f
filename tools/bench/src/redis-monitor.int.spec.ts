import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '@gateway/testing';
import { attributeCommands } from './command-phases';
import { startMonitor } from './redis-monitor';
import { scriptNamer } from './script-names';
import { socketOwners } from './socket-owners';

describe('startMonitor on a real Redis', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startRedis({ spawn: true });
    client = new Redis(redis.url);
  });

  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  it('records every command until stop, those inside a script right after it, each traced to this process', async () => {
    await client.script('FLUSH');
    const source = "redis.call('set', KEYS[1], 'x'); redis.call('publish', 'p:reply:1', 'done'); return 1";
    await client.ping();
    const monitor = await startMonitor(redis.url);
    await client.set('p:rate:{spend}:agent:a', '1');
    await client.eval(source, 1, 'p:budget:{spend}:day:d');
    const trace = await monitor.stop();
    await client.set('after', 'stop');
    expect(trace.map(({ args }) => args[0]?.toLowerCase())).toEqual(['set', 'eval', 'set', 'publish']);
    expect(trace.map(({ client: from }) => from === 'lua')).toEqual([false, false, true, true]);
    expect(trace[1]?.args[1]).toBe(source);
    const owners = socketOwners({ api1: process.pid });
    expect(owners.get(trace[0]!.client)).toBe('api1');
    const counts = attributeCommands(trace, owners, scriptNamer(process.cwd(), trace));
    expect(counts.map((entry) => [entry.phase, entry.owner, entry.commands]).sort()).toEqual([
      ['admission', 'api1', 1],
      ['admission', 'api1', 2],
      ['reply', 'api1', 1],
    ]);
  });

  it('names a BullMQ script by the SHA-1 of its source without having seen it', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { moveToActive } = require('bullmq/dist/cjs/scripts/index.js') as { moveToActive: { content: string } };
    const sha = createHash('sha1').update(moveToActive.content).digest('hex');
    expect(scriptNamer(process.cwd(), [])(sha)).toBe('moveToActive');
    expect(scriptNamer(process.cwd(), [])('f'.repeat(40))).toBe('script ffffffff');
  });
});
