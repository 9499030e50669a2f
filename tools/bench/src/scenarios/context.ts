import type { BenchEnvironment } from '../environment';
import type { CurvePoint } from '../plot';
import type { ResultRow } from '../report';

/** What every scenario gets: the environment, where to put rows, and run settings. */
export interface ScenarioContext {
  env: BenchEnvironment;
  rows: ResultRow[];
  curves: Record<string, CurvePoint[]>;
  /** Markdown sections for docs/BENCHMARKS.md beyond the results table (e.g. the Redis commands by phase). */
  sections: string[];
  /** Seconds per timed load run. */
  durationSeconds: number;
  log: (message: string) => void;
}

export const chatBody = { agent_id: 'bench', model: 'bench', messages: [{ role: 'user', content: 'Say hello in five words.' }] };
export const upstreamBody = { model: 'bench', messages: [{ role: 'user', content: 'Say hello in five words.' }] };

/** Is this route served (anything but 404)? */
export async function routeExists(url: string, body: unknown, headers: Record<string, string> = {}): Promise<boolean> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  await response.arrayBuffer();
  return response.status !== 404;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
