import type { ResultRow } from './report';

/** A performance target of the durable path, and how the row that measures it is shown. */
interface Target {
  goal: string;
  text: string;
  /** Show the row's ratio (e.g. 0.73×) rather than its value. */
  show: 'value' | 'ratio';
  /** Which run measures it, for a target no row measured. */
  measuredBy: string;
}

/** The targets of the durable path against the bare parts and a peer (ratios measured in one run). */
export const targets: readonly Target[] = [
  { goal: 'throughput-lean', text: 'Throughput at 32 connections ≥ 0.85× the lean stock path', show: 'ratio', measuredBy: 'overhead' },
  { goal: 'cpu-lean', text: 'CPU per request over all processes ≤ 1.2× the lean path’s', show: 'ratio', measuredBy: 'overhead' },
  { goal: 'commands', text: 'Redis commands per synchronous request ≤ 50 (a call with an API key)', show: 'value', measuredBy: 'commands' },
  { goal: 'added-p50', text: 'Added p50 at one connection ≤ 1.0 ms', show: 'value', measuredBy: 'overhead' },
  { goal: 'added-p99', text: 'Added p99 at one connection ≤ 3 ms', show: 'value', measuredBy: 'overhead' },
  { goal: 'ttft-added', text: 'Streaming time to first token added ≤ 1 ms', show: 'value', measuredBy: 'streaming' },
  { goal: 'responses-throughput', text: '/v1/responses throughput at 32 connections ≥ 0.90× /v1/chat/completions', show: 'ratio', measuredBy: 'responses' },
  {
    goal: 'embeddings-throughput',
    text: '10,000 embedding inputs in requests of 100 ≥ 0.80× the same client straight to the upstream',
    show: 'ratio',
    measuredBy: 'embeddings',
  },
  {
    goal: 'responses-stream-throughput',
    text: '/v1/responses streamed throughput ≥ 0.90× /v1/chat/completions streamed',
    show: 'ratio',
    measuredBy: 'responses',
  },
  { goal: 'responses-latency', text: '/v1/responses p50 at one connection ≤ 1.10× /v1/chat/completions', show: 'ratio', measuredBy: 'responses' },
  { goal: 'responses-ttft', text: '/v1/responses time to first token ≤ 1.10× /v1/chat/completions', show: 'ratio', measuredBy: 'responses' },
  { goal: 'messages-stream-throughput', text: '/v1/messages streamed throughput ≥ 0.90× /v1/chat/completions streamed', show: 'ratio', measuredBy: 'messages' },
  { goal: 'messages-ttft', text: '/v1/messages time to first token ≤ 1.10× /v1/chat/completions', show: 'ratio', measuredBy: 'messages' },
  { goal: 'concurrency', text: '2,000 concurrent 1-second calls through one worker within 1.6 s', show: 'value', measuredBy: 'concurrency' },
  {
    goal: 'scale-memory',
    text: '5,000 streams of 60 s (a token every 250 ms) on one API and one worker: memory per open stream ≤ 3× the same client’s straight to the upstream',
    show: 'ratio',
    measuredBy: '--only=scale',
  },
  {
    goal: 'scale-cpu',
    text: '… CPU per relayed token ≤ 2× the same client’s straight to the upstream, every stream whole',
    show: 'ratio',
    measuredBy: '--only=scale',
  },
  { goal: 'peer-throughput', text: 'Throughput ≥ 2.5× Portkey’s gateway (32 connections)', show: 'ratio', measuredBy: '--peers' },
  { goal: 'peer-p99', text: 'p99 at 32 connections below Portkey’s gateway', show: 'value', measuredBy: '--peers' },
];

const shown = (row: ResultRow, show: Target['show']): string => {
  if (show === 'ratio') {
    const ratio = row.ratio ?? (row.baseline ? row.value / row.baseline : NaN);
    return `${ratio.toFixed(2)}× (${row.value.toFixed(row.value >= 100 ? 0 : 2)}${row.unit ? ` ${row.unit}` : ''} vs ${(row.baseline ?? NaN).toFixed((row.baseline ?? 0) >= 100 ? 0 : 2)})`;
  }
  const base = row.baseline !== undefined ? ` (baseline ${row.baseline.toFixed(2)}${row.unit ? ` ${row.unit}` : ''})` : '';
  return `${row.value.toFixed(2)}${row.unit ? ` ${row.unit}` : ''}${base}`;
};

/** The targets table: each target with the figure of this run and whether it is met. */
export function targetsTable(rows: readonly ResultRow[]): string {
  const lines = ['| target | measured | met |', '|---|---|---|'];
  for (const target of targets) {
    const row = rows.find((candidate) => candidate.goal === target.goal);
    if (!row) {
      lines.push(`| ${target.text} | not measured in this run (\`${target.measuredBy}\`) | – |`);
      continue;
    }
    lines.push(`| ${target.text} | ${shown(row, target.show)} | ${row.met === undefined ? '–' : row.met ? 'met' : '**not met**'} |`);
  }
  return lines.join('\n');
}
