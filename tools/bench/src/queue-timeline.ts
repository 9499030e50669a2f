import { Redis } from 'ioredis';

/** When a burst's jobs reached each stage, in ms from the burst's start (NaN: not seen). */
export interface BurstTimeline {
  /** The first of them added to the queue. */
  firstEnqueuedMs: number;
  /** The last of them added to the queue. */
  allEnqueuedMs: number;
  /** The queue empty again after that: the worker has taken every one. */
  allTakenMs: number;
  /** All of them completed (BullMQ marks a job completed after its reply is published). */
  allCompletedMs: number;
}

/**
 * Samples a BullMQ queue every `intervalMs` (the job counter, waiting and prioritized lengths, completed count, in
 * one pipeline) to tell where a burst of `jobs` spends its time: getting in through the API, waiting for the worker
 * to take it, or after the worker (upstream, settle, reply). `queueKey` is `<bull prefix>:<queue name>`.
 */
export async function watchQueue(
  redisUrl: string,
  queueKey: string,
  jobs: number,
  options: { before?: number; intervalMs?: number } = {},
): Promise<{ start(): void; stop(): Promise<BurstTimeline> }> {
  // Jobs added between this call and start() (a warm-up): the timeline is of the `jobs` after them.
  const before = options.before ?? 0;
  const redis = new Redis(redisUrl);
  const read = async () => {
    const replies =
      (await redis.pipeline().get(`${queueKey}:id`).llen(`${queueKey}:wait`).zcard(`${queueKey}:prioritized`).zcard(`${queueKey}:completed`).exec()) ?? [];
    const [added, waiting, prioritized, completed] = replies.map(([, value]) => Number(value ?? 0));
    return { added: added ?? 0, queued: (waiting ?? 0) + (prioritized ?? 0), completed: completed ?? 0 };
  };
  const base = await read();
  const timeline: BurstTimeline = { firstEnqueuedMs: NaN, allEnqueuedMs: NaN, allTakenMs: NaN, allCompletedMs: NaN };
  let startedAt = NaN;
  let timer: NodeJS.Timeout | undefined;
  let reading = false;
  const sample = async () => {
    if (reading) return;
    reading = true;
    try {
      const now = await read();
      const at = performance.now() - startedAt;
      if (Number.isNaN(timeline.firstEnqueuedMs) && now.added - base.added > before) timeline.firstEnqueuedMs = at;
      if (Number.isNaN(timeline.allEnqueuedMs) && now.added - base.added >= before + jobs) timeline.allEnqueuedMs = at;
      if (Number.isNaN(timeline.allTakenMs) && !Number.isNaN(timeline.allEnqueuedMs) && now.queued === 0) timeline.allTakenMs = at;
      if (Number.isNaN(timeline.allCompletedMs) && now.completed - base.completed >= before + jobs) timeline.allCompletedMs = at;
    } finally {
      reading = false;
    }
  };
  return {
    start() {
      startedAt = performance.now();
      timer = setInterval(() => void sample(), options.intervalMs ?? 10);
    },
    async stop() {
      if (timer) clearInterval(timer);
      if (!Number.isNaN(startedAt)) await sample();
      redis.disconnect();
      return timeline;
    },
  };
}
