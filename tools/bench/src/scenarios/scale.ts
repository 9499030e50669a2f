import { microsecondsPerToken, partsNote, summed, tokensPerStream } from '../scale-figures';
import { holdAndWatch, openFilesLimit, type HoldRun, type ScaleOptions } from '../scale-watch';
import type { HoldResult } from '../stream-hold';
import type { ScenarioContext } from './context';

export const defaultScale: ScaleOptions = { streams: 5000, seconds: 60, intervalMs: 250 };

const messages = [{ role: 'user', content: 'Stream to me slowly.' }];

const describeHold = (result: HoldResult) =>
  `intact ${result.intact}/${result.streams}, failed ${result.failed}${result.failed > 0 ? ` (${JSON.stringify(result.failures)}; each ending with ${JSON.stringify(result.lastReceived)})` : ''}, stalled ${result.stalled}, ${result.tokens} tokens, all open in ${(result.openMs / 1000).toFixed(1)} s, over in ${(result.wallMs / 1000).toFixed(1)} s, longest gap ${result.maxGapMs.toFixed(0)} ms`;

/**
 * Many slow streams at once on one API and one worker (opt-in, `--only=scale`; `--scale-streams=`, `--scale-seconds=`):
 * the same client first straight to the upstream, then through `/v1/chat/completions` (`stream: true`), then the
 * same resumable (`stream_options.resumable`: every message also kept in a Redis stream). Memory per open stream
 * of the API, the worker and Redis, and CPU per relayed token, against the client's own straight to the upstream.
 */
export async function scaleScenario(context: ScenarioContext, options: ScaleOptions = defaultScale): Promise<void> {
  const { streams, seconds, intervalMs } = options;
  const limit = openFilesLimit();
  if (limit < streams + 1024)
    throw new Error(`scale: ${streams} streams need more open files than the limit of ${limit} (raise it with ulimit -n, or lower --scale-streams)`);
  const tokens = tokensPerStream(seconds, intervalMs);
  const model = `bench?chunks=${tokens}&interval=${intervalMs}`;
  const scenario = `scale ${streams}×${seconds}s`;
  context.log(`${scenario}: ${streams} streams of ${tokens} tokens, one every ${intervalMs} ms; straight to the upstream first`);
  const direct = await holdAndWatch(context, {
    ...options,
    url: `${context.env.upstreamUrl}/api/v1/chat/completions`,
    body: { model, messages, stream: true },
    pids: {},
  });
  const directKb = direct.kbPerStream['client'] ?? NaN;
  const directUs = microsecondsPerToken(direct.cpuSeconds['client'] ?? NaN, direct.result.tokens);
  context.log(`${scenario}: direct: ${describeHold(direct.result)}; client ${directKb.toFixed(1)} KB per stream, ${directUs.toFixed(1)} µs CPU per token`);
  context.rows.push({
    scenario,
    metric: 'the client straight to the upstream: RSS per open stream (the baseline of memory)',
    value: directKb,
    unit: 'KB',
  });
  context.rows.push({ scenario, metric: 'the client straight to the upstream: CPU per token (the baseline of CPU)', value: directUs, unit: 'µs' });

  const variants = [
    { label: 'through the gateway', body: { model, messages, stream: true }, goals: true },
    { label: 'resumable', body: { model, messages, stream: true, stream_options: { resumable: true } }, goals: false },
  ];
  for (const variant of variants) {
    // A fresh gateway each: memory measured from a warmed process, not from one the run before left full of garbage.
    const gateway = await context.env.startGateway({
      apis: 1,
      workers: 1,
      env: {
        WORKER_CONCURRENCY: String(streams),
        PROVIDER_MAX_CONNECTIONS: String(streams + 64),
        GATEWAY_MAX_CONNECTIONS: String(Math.max(10_000, streams + 1024)),
      },
    });
    try {
      const pids = { api: gateway.apis[0]!.child.pid!, worker: gateway.workers[0]!.child.pid! };
      const run = await holdAndWatch(context, { ...options, url: `${gateway.urls[0]}/v1/chat/completions`, body: variant.body, pids });
      reportVariant(context, { scenario, label: variant.label, goals: variant.goals, streams, run, directKb, directUs, directResult: direct.result });
    } finally {
      await context.env.stopQuietly(gateway);
    }
  }
}

/** The rows (and the log line) of one gateway variant against the direct client. */
function reportVariant(
  context: ScenarioContext,
  input: { scenario: string; label: string; goals: boolean; streams: number; run: HoldRun; directKb: number; directUs: number; directResult: HoldResult },
): void {
  const { run, streams, directKb, directUs, scenario } = input;
  const { result } = run;
  const memory = summed({ api: run.kbPerStream['api'] ?? NaN, worker: run.kbPerStream['worker'] ?? NaN, redis: run.kbPerStream['redis'] ?? NaN }, directKb);
  const perToken = (figures: Record<string, number>, scale: (value: number) => number) =>
    Object.fromEntries(['api', 'worker', 'redis'].map((name) => [name, scale(figures[name] ?? NaN)]));
  const cpu = summed(
    perToken(run.cpuSeconds, (seconds) => microsecondsPerToken(seconds, result.tokens)),
    directUs,
  );
  const writes = summed(
    perToken(run.writes, (count) => count / Math.max(1, result.tokens)),
    NaN,
  );
  const clientKb = run.kbPerStream['client'] ?? NaN;
  const clientUs = microsecondsPerToken(run.cpuSeconds['client'] ?? NaN, result.tokens);
  context.log(
    `${scenario}: ${input.label}: ${describeHold(result)}; KB per open stream ${partsNote(memory.parts)} (${memory.ratio.toFixed(2)}× the direct client's), µs CPU per token ${partsNote(cpu.parts, 2)} (${cpu.ratio.toFixed(2)}×), writes per token ${partsNote(writes.parts, 3)}; the client ${clientKb.toFixed(1)} KB, ${clientUs.toFixed(1)} µs; Redis keeps ${run.redisKeptKbPerStream.toFixed(1)} KB per stream after the end`,
  );
  const label = `${scenario} ${input.label}`;
  const failures = Object.entries(result.failures)
    .map(([reason, count]) => `${count}× ${reason}`)
    .join(', ');
  context.rows.push({
    scenario: label,
    metric: 'streams with every token in order and a proper end',
    value: result.intact,
    unit: '',
    target: `${streams}`,
    met: result.intact === streams,
    note: `failed ${result.failed}${failures ? `: ${failures}` : ''}, stalled ${result.stalled}`,
  });
  context.rows.push({
    scenario: label,
    metric: 'seconds until every stream had its first token',
    value: result.openMs / 1000,
    unit: 's',
    baseline: input.directResult.openMs / 1000,
  });
  context.rows.push({
    scenario: label,
    metric: 'longest gap between two tokens of a stream',
    value: result.maxGapMs,
    unit: 'ms',
    baseline: input.directResult.maxGapMs,
  });
  context.rows.push({
    scenario: label,
    metric: `RSS per open stream, API + worker + Redis used memory (${partsNote(memory.parts)}; baseline: the client straight to the upstream)`,
    value: memory.total,
    unit: 'KB',
    baseline: directKb,
    target: '≤ 3×',
    met: memory.ratio <= 3,
    ...(input.goals ? { goal: 'scale-memory' } : {}),
  });
  context.rows.push({
    scenario: label,
    metric: `CPU per relayed token, API + worker + Redis (${partsNote(cpu.parts, 2)}; baseline: the client straight to the upstream)`,
    value: cpu.total,
    unit: 'µs',
    baseline: directUs,
    target: '≤ 2×',
    // Every stream whole, too: a relay that drops streams would spend less.
    met: cpu.ratio <= 2 && result.intact === streams,
    ...(input.goals ? { goal: 'scale-cpu' } : {}),
  });
  context.rows.push({ scenario: label, metric: `write system calls per token (${partsNote(writes.parts, 3)})`, value: writes.total, unit: '' });
  context.rows.push({
    scenario: label,
    metric: 'the client, not charged to the gateway: RSS per open stream, CPU per token (µs)',
    value: clientKb,
    unit: 'KB',
    note: `${clientUs.toFixed(1)} µs per token`,
  });
  context.rows.push({
    scenario: label,
    metric: 'Redis memory still held per stream after the end (finished job, kept stream)',
    value: run.redisKeptKbPerStream,
    unit: 'KB',
  });
}
