import { Cluster } from 'ioredis';
import { startRedisCluster, type TestRedisCluster } from '@gateway/testing';
import { clusterLayout, nodeCommandCount, type ClusterLayout } from './cluster-layout';
import { traceByFamily } from './cluster-shares';
import { startMonitor } from './redis-monitor';
import { spreadProjection } from './spread-projection';

jest.setTimeout(60_000);

describe('the shares of a real 3-master cluster', () => {
  let cluster: TestRedisCluster;
  let layout: ClusterLayout;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    layout = await clusterLayout(cluster.nodes);
    client = new Cluster(cluster.nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })));
    await client.set('warm', '1');
  });

  afterAll(async () => {
    client.disconnect();
    layout.close();
    await cluster.stop();
  });

  it('counts each master, sorts its trace into families and projects per-key slots', async () => {
    const spend = await layout.masterOf('{spend}');
    const queue = await layout.masterOf('{gw}');
    // `gw` (slot 7373) and `spend` (slot 1469) fall on different masters of a fresh 3-master cluster.
    expect(new Set([spend, queue]).size).toBe(2);
    const monitors = await Promise.all(cluster.nodes.map((node) => startMonitor(`redis://${node}`)));
    const before = await Promise.all(cluster.nodes.map(nodeCommandCount));
    const source = "redis.call('hincrby', KEYS[1], 'total', 1); redis.call('hincrby', KEYS[2], 'total', 1); redis.call('publish', ARGV[1], 'x'); return 1";
    await client.eval(source, 2, 'gw:budget:{spend}:inflight', 'gw:budget:{spend}:key:key_A:inflight', '{gw}:reply:1');
    await client.set('{gw}:chat:1', 'job');
    const after = await Promise.all(cluster.nodes.map(nodeCommandCount));
    const traces = await Promise.all(monitors.map((monitor) => monitor.stop()));
    const served = after.map((value, index) => value - (before[index] ?? 0));
    expect(served[spend]).toBe(4);
    expect(served[queue]).toBe(1);
    const byMaster = traces.map((trace) =>
      traceByFamily(
        trace,
        'gw',
        () => 'ledger',
        (command) => ['info', 'monitor', 'echo', 'hello'].includes(command.args[0] ?? ''),
      ),
    );
    expect(Object.fromEntries(byMaster[spend]!.byFamily)).toEqual({ 'global ledger': 2, 'per-key ledger': 1, 'reply publish': 1 });
    expect(Object.fromEntries(byMaster[queue]!.byFamily)).toEqual({ queue: 1 });

    const projection = await spreadProjection(byMaster, served, [{ id: 'key_A' }], layout);
    const home = await layout.masterOf('{key:key_A}');
    expect(projection.addedCalls).toBe(1);
    const expected = served.map((value, index) => value - (index === spend ? 1 : 0) + (index === home ? 2 : 0));
    expect(projection.perMaster).toEqual(expected);
    expect(projection.keysPerMaster.reduce((sum, count) => sum + count, 0)).toBe(1);
  });
});
