import { Redis } from 'ioredis';

/** Which master of a cluster serves which slot, and the slot of a key. */
export interface ClusterLayout {
  /** `host:port` of each master, in the order given. */
  masters: string[];
  /** Index in `masters` of the master serving a key (by its hash tag, as Redis computes it). */
  masterOf(key: string): Promise<number>;
  close(): void;
}

const connect = (node: string) => {
  const [host, port] = node.split(':');
  return new Redis({ host: host ?? '127.0.0.1', port: Number(port), lazyConnect: false, maxRetriesPerRequest: 1 });
};

export async function clusterLayout(masters: readonly string[]): Promise<ClusterLayout> {
  const client = connect(masters[0] ?? '');
  const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
  const owners = ranges.map(([start, end, [host, port]]) => ({ start, end, index: masters.indexOf(`${host}:${port}`) }));
  return {
    masters: [...masters],
    async masterOf(key) {
      const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
      return owners.find((owner) => slot >= owner.start && slot <= owner.end)?.index ?? -1;
    },
    close: () => client.disconnect(),
  };
}

/** Sum of every command's call count on one node, from INFO commandstats, leaving out the bench's own (HELLO: each new connection's handshake). */
export async function nodeCommandCount(node: string): Promise<number> {
  const client = connect(node);
  const info = await client.info('commandstats');
  client.disconnect();
  let total = 0;
  for (const match of info.matchAll(/cmdstat_([a-z|_-]+):calls=(\d+)/g)) {
    if (['info', 'monitor', 'echo', 'script', 'hello'].includes(match[1] ?? '')) continue;
    total += Number(match[2]);
  }
  return total;
}

/** Flushes every node's script cache, so the next calls send their sources (EVAL) and the trace can name them. */
export async function flushScripts(masters: readonly string[]): Promise<void> {
  await Promise.all(
    masters.map(async (node) => {
      const client = connect(node);
      await client.script('FLUSH');
      client.disconnect();
    }),
  );
}
