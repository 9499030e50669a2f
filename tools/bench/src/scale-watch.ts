import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { cpuDelta, cpuSnapshot, memoryMb, writeSnapshot } from './proc-stats';
import { kbPerStream, tokensPerStream, type MemorySeries } from './scale-figures';
import { spawnStreamHold, type HoldResult } from './stream-hold';
import type { ScenarioContext } from './scenarios/context';

/** How many streams, how long each, and how often a token comes. */
export interface ScaleOptions {
  streams: number;
  seconds: number;
  intervalMs: number;
}

/** What one held run measured: the client's figures, and each watched process's memory and CPU. */
export interface HoldRun {
  result: HoldResult;
  kbPerStream: Record<string, number>;
  cpuSeconds: Record<string, number>;
  /** Write system calls (socket writes) of each watched process over the run (not the client's: it is gone by then). */
  writes: Record<string, number>;
  /** Redis memory still held per stream once every stream is over (finished jobs, kept streams), KB. */
  redisKeptKbPerStream: number;
}

/**
 * When a stream still open is counted as stalled: four times its length and two minutes more. A machine too busy to
 * keep the pace makes streams late (the longest gap tells by how much), not lost.
 */
const deadlineMs = (seconds: number) => seconds * 4000 + 120_000;

async function redisUsedMb(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(info.match(/used_memory:(\d+)/)?.[1] ?? NaN) / 1048576;
}

/** The soft limit of open files of this process (its children inherit it). */
export function openFilesLimit(): number {
  try {
    return Number(readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\d+)/)?.[1] ?? Infinity);
  } catch {
    return Infinity;
  }
}

/**
 * Holds `streams` streams from a client in its own process (warmed up first) and samples the RSS of `pids` (and
 * Redis's used memory) once a second while all of them are open; CPU is counted from the first request to the
 * last end. The client's own pid is watched as `client`.
 */
export async function holdAndWatch(
  context: ScenarioContext,
  options: ScaleOptions & { url: string; body: unknown; pids: Record<string, number> },
): Promise<HoldRun> {
  const tokens = tokensPerStream(options.seconds, options.intervalMs);
  const { body } = options;
  const warmUpBody = { ...(body as object), model: 'bench?chunks=8' };
  // Sampled only while every stream is open: after 'open', unless one already ended (then there is no such moment).
  let open = false;
  let ending = false;
  const hold = spawnStreamHold({ url: options.url, body, warmUpBody, streams: options.streams, tokens, deadlineMs: deadlineMs(options.seconds) }, (mark) => {
    if (mark === 'ending') ending = true;
    open = mark === 'open' ? !ending : false;
  });
  const redis = new Redis(context.env.redis.url);
  try {
    await hold.ready;
    const pids = { ...options.pids, client: hold.pid };
    const before: Record<string, MemorySeries & { openMb: number[] }> = {};
    for (const [name, pid] of Object.entries(pids)) before[name] = { beforeMb: memoryMb(pid).rss, openMb: [] };
    before['redis'] = { beforeMb: await redisUsedMb(redis), openMb: [] };
    const cpuBefore = cpuSnapshot({ ...options.pids, redis: context.env.redisPid });
    const writesBefore = writeSnapshot({ ...options.pids, redis: context.env.redisPid });
    const sampler = setInterval(() => {
      if (!open) return;
      for (const [name, pid] of Object.entries(pids)) before[name]?.openMb.push(memoryMb(pid).rss);
      void redisUsedMb(redis).then((mb) => {
        if (open) before['redis']?.openMb.push(mb);
      });
    }, 1000);
    const result = await hold.go();
    clearInterval(sampler);
    const cpuSeconds = { ...cpuDelta(cpuBefore, cpuSnapshot({ ...options.pids, redis: context.env.redisPid })), client: result.cpuSeconds };
    const writesAfter = writeSnapshot({ ...options.pids, redis: context.env.redisPid });
    const writes = Object.fromEntries(Object.keys(writesAfter).map((name) => [name, (writesAfter[name] ?? 0) - (writesBefore[name] ?? 0)]));
    const kept = ((await redisUsedMb(redis)) - (before['redis']?.beforeMb ?? NaN)) * 1024;
    return {
      result,
      kbPerStream: Object.fromEntries(Object.entries(before).map(([name, series]) => [name, kbPerStream(series, options.streams)])),
      cpuSeconds,
      writes,
      redisKeptKbPerStream: kept / options.streams,
    };
  } finally {
    redis.disconnect();
  }
}
