import { chooseRedisSource, type RedisSource } from './start-redis';

describe('chooseRedisSource', () => {
  const url = 'redis://127.0.0.1:6379';
  it.each<[string | undefined, boolean, boolean, RedisSource]>([
    [url, false, true, 'shared'],
    [url, false, false, 'shared'],
    [url, true, true, 'spawn'],
    [url, true, false, 'container'],
    [undefined, false, true, 'spawn'],
    [undefined, false, false, 'container'],
    [undefined, true, true, 'spawn'],
    [undefined, true, false, 'container'],
    ['', false, true, 'spawn'],
    ['', false, false, 'container'],
  ])('REDIS_URL %p, spawn asked %p, redis-server %p → %p', (redisUrl, spawnRequested, binaryAvailable, expected) => {
    expect(chooseRedisSource({ redisUrl, spawnRequested, binaryAvailable })).toBe(expected);
  });
});
