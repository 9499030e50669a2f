import { Queue } from 'bullmq';
import type { Config } from '@gateway/config';
import type { ChatJobData, ChatJobResult } from '@gateway/contracts';
import { createChatWorker, createRedisConnection, type QueuePrefix } from '@gateway/queue';

/** A chat processor run by a real BullMQ worker, a queue to add its jobs to, and how to stop both. */
export interface ProcessorWorker {
  queue: Queue<ChatJobData, ChatJobResult>;
  stop: () => Promise<void>;
}

/** Starts a worker running `processor` on the `chat` queue of `prefix`, each on a connection of its own named after `name`. */
export async function startProcessorWorker(
  config: Config,
  processor: Parameters<typeof createChatWorker>[0],
  prefix: QueuePrefix,
  name: string,
): Promise<ProcessorWorker> {
  const workerConnection = createRedisConnection(config, 'blocking', `${name}-worker`);
  const worker = createChatWorker(processor, { connection: workerConnection, prefix, config });
  const queueConnection = createRedisConnection(config, 'blocking', `${name}-queue`);
  const queue = new Queue<ChatJobData, ChatJobResult>('chat', { connection: queueConnection, prefix });
  await worker.waitUntilReady();
  return {
    queue,
    stop: async () => {
      await worker.close();
      await queue.close();
      workerConnection.disconnect();
      queueConnection.disconnect();
    },
  };
}
