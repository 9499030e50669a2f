import { Redis } from 'ioredis';
import { adminConnections, countSubscribers, killSubscribers, startRedis, startRedisCluster, waitFor } from '@gateway/testing';
import { watchChannel } from './channel-watch';
import { createRedisConnection, type RedisClient } from './redis-connection';

jest.setTimeout(60_000);

/** A Redis (or cluster) to watch on: a subscriber connection named `name`, a publisher, and admin connections to every server. */
interface Setup {
  subscriber: RedisClient;
  publisher: RedisClient;
  servers: Redis[];
  stop(): Promise<void>;
}

async function onRedis(name: string): Promise<Setup> {
  const redis = await startRedis();
  const config = { redis: { url: redis.url, clusterNodes: [] } };
  return wrap(
    createRedisConnection(config, 'blocking', name),
    createRedisConnection(config, 'blocking', 'publisher'),
    adminConnections([new URL(redis.url).host]),
    () => redis.stop(),
  );
}

async function onCluster(name: string): Promise<Setup> {
  const cluster = await startRedisCluster(3);
  const config = { redis: { url: '', clusterNodes: cluster.nodes } };
  return wrap(createRedisConnection(config, 'blocking', name), createRedisConnection(config, 'blocking', 'publisher'), adminConnections(cluster.nodes), () =>
    cluster.stop(),
  );
}

function wrap(subscriber: RedisClient, publisher: RedisClient, servers: Redis[], stopServers: () => Promise<void>): Setup {
  return {
    subscriber,
    publisher,
    servers,
    stop: async () => {
      for (const client of [subscriber, publisher, ...servers]) client.disconnect();
      await stopServers();
    },
  };
}

describe.each([
  ['a Redis', onRedis],
  ['a Redis Cluster', onCluster],
])('a channel watch on %s', (_name, setUp) => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp('watch-test');
  });
  afterAll(async () => {
    await setup?.stop();
  });

  it('reads the picture back after its subscribed connection dropped, and hears the channel again', async () => {
    const heard: string[] = [];
    let readBacks = 0;
    const watch = await watchChannel(setup.subscriber, 'announcements', {
      onMessage: (payload) => heard.push(payload),
      readBack: async () => {
        readBacks += 1;
      },
    });
    expect(watch.current()).toBe(true);
    // A cluster client may hold a second subscribed connection for a moment while it settles on its node.
    await waitFor(async () => (await countSubscribers(setup.servers, 'watch-test')) === 1, 10_000);
    const before = readBacks;

    expect(await killSubscribers(setup.servers, 'watch-test')).toBe(1);
    // What was announced while it was down is lost: the picture is read again once it has subscribed again.
    await waitFor(() => (readBacks > before && watch.current() ? true : undefined), 10_000);
    await waitFor(async () => {
      await setup.publisher.publish('announcements', 'after');
      return heard.includes('after') ? true : undefined;
    }, 10_000);
    await watch.stop();
  });
});
