import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

/** The job options the gateway gives chat jobs (finished jobs kept for their result), or BullMQ's leanest. */
export type FloorJobOptions = 'gateway' | 'leanest';

const jobOptionsOf = {
  gateway: { removeOnComplete: { age: 3600, count: 100_000 }, removeOnFail: { age: 86_400 } },
  // Finished jobs deleted at once: the fewest commands BullMQ can spend on a job.
  leanest: { removeOnComplete: true, removeOnFail: true },
} as const;

/**
 * Redis commands per job of stock BullMQ alone (add → worker → complete, no gateway code), measured on the same
 * Redis: the floor any BullMQ-based path pays, with the gateway's job options or with BullMQ's leanest.
 */
export async function bullmqCommandsPerJob(
  redisUrl: string,
  countCommands: () => Promise<number>,
  options: FloorJobOptions = 'gateway',
  jobs = 2000,
): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const name = `floor-${Date.now()}`;
  const queue = new Queue(name, { connection, prefix: 'bench-floor', defaultJobOptions: jobOptionsOf[options] });
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
