import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * Redis commands per job of stock BullMQ alone (add → worker → complete, no gateway code), with the gateway's
 * job options, measured on the same Redis: the floor any BullMQ-based path pays.
 */
export async function bullmqCommandsPerJob(redisUrl: string, countCommands: () => Promise<number>, jobs = 2000): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const name = `floor-${Date.now()}`;
  const queue = new Queue(name, { connection, prefix: 'bench-floor', defaultJobOptions: { removeOnComplete: { age: 3600, count: 100_000 }, removeOnFail: { age: 86_400 } } });
  let done = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const worker = new Worker(
    name,
    async () => {
      done += 1;
      if (done === jobs) setImmediate(finish);
      return { ok: true };
    },
    { connection: workerConnection, prefix: 'bench-floor', concurrency: 512 },
  );
  await worker.waitUntilReady();
  const before = await countCommands();
  // Added 32 at a time, as 32 connections would.
  for (let index = 0; index < jobs; index += 32) {
    await Promise.all(Array.from({ length: Math.min(32, jobs - index) }, (_, offset) => queue.add('chat', { n: index + offset })));
  }
  await finished;
  const perJob = ((await countCommands()) - before) / jobs;
  await worker.close();
  await queue.close();
  connection.disconnect();
  workerConnection.disconnect();
  return perJob;
}
