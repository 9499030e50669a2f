import { median } from './scenarios/context';

/** Memory of one process (or of Redis) before the streams opened, and sampled while all were open. */
export interface MemorySeries {
  beforeMb: number;
  /** Samples taken between the last stream's first token and the first stream's end. */
  openMb: readonly number[];
}

/**
 * KB per open stream: the median of the samples taken while every stream was open, less the memory before any
 * opened, over the streams. NaN when no sample was taken while all were open (a run too short to have a plateau).
 */
export function kbPerStream(series: MemorySeries, streams: number): number {
  if (series.openMb.length === 0 || streams <= 0) return NaN;
  return ((median(series.openMb) - series.beforeMb) * 1024) / streams;
}

/** Microseconds of CPU per token relayed (or received), from the CPU seconds spent on a run. */
export function microsecondsPerToken(cpuSeconds: number, tokens: number): number {
  return tokens > 0 ? (cpuSeconds * 1e6) / tokens : NaN;
}

/** Each part's figure, their sum, and the sum against a baseline (the same client straight to the upstream). */
export interface Summed {
  parts: Record<string, number>;
  total: number;
  ratio: number;
}

export function summed(parts: Record<string, number>, baseline: number): Summed {
  const total = Object.values(parts).reduce((sum, value) => sum + value, 0);
  return { parts, total, ratio: baseline > 0 ? total / baseline : NaN };
}

/** `api 12.3, worker 4.5` with the given digits: a note naming each part's figure. */
export function partsNote(parts: Record<string, number>, digits = 1): string {
  return Object.entries(parts)
    .map(([name, value]) => `${name} ${value.toFixed(digits)}`)
    .join(', ');
}

/** Tokens a stream of `seconds` at one token every `intervalMs` carries (the first at once: a 60 s stream has 240). */
export function tokensPerStream(seconds: number, intervalMs: number): number {
  return Math.max(1, Math.round((seconds * 1000) / intervalMs));
}
