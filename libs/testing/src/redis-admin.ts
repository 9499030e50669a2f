import { Redis } from 'ioredis';

/** One plain connection to each `host:port` (a Redis, or every master of a cluster), for CLIENT LIST and KILL. */
export function adminConnections(nodes: readonly string[]): Redis[] {
  return nodes.map((node) => {
    const index = node.lastIndexOf(':');
    return new Redis({ host: node.slice(0, index), port: Number(node.slice(index + 1)) });
  });
}

/** The ids of the subscribed client connections named `name` (on a cluster, `ioredis-cluster(subscriber):<name>`), by server. */
async function subscriberIds(servers: readonly Redis[], name: string): Promise<Array<{ server: Redis; id: string }>> {
  const named = new RegExp(` name=(ioredis-cluster\\(subscriber\\):)?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `);
  const found: Array<{ server: Redis; id: string }> = [];
  for (const server of servers) {
    const clients = ((await server.call('CLIENT', 'LIST')) as string).split('\n');
    for (const line of clients.filter((entry) => named.test(entry) && / sub=[1-9]/.test(entry))) {
      const id = line.match(/^id=(\d+) /)?.[1];
      if (id) found.push({ server, id });
    }
  }
  return found;
}

/** How many subscribed client connections named `name` these servers have (a cluster client may briefly hold two). */
export async function countSubscribers(servers: readonly Redis[], name: string): Promise<number> {
  return (await subscriberIds(servers, name)).length;
}

/**
 * Kills every subscribed client connection named `name` on these servers (on a cluster, ioredis names its subscriber
 * `ioredis-cluster(subscriber):<name>`): the client then reconnects and subscribes again. Returns how many it killed.
 */
export async function killSubscribers(servers: readonly Redis[], name: string): Promise<number> {
  let killed = 0;
  for (const { server, id } of await subscriberIds(servers, name)) killed += Number(await server.call('CLIENT', 'KILL', 'ID', id));
  return killed;
}
