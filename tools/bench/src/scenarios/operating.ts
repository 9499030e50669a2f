import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { interleavedComparison, type InterleavedResult } from '../interleaved';
import { runLoad } from '../load';
import { chatBody, type ScenarioContext } from './context';

/** An OTLP/HTTP receiver that takes every export and keeps nothing (the exporter's cost, not a collector's). */
async function startTraceSink(): Promise<{ url: string; spans: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  const server: Server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      res.statusCode = 200;
      res.setHeader('content-type', 'application/x-protobuf');
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => bytes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * What operating costs per request, each against the default in alternating runs on one Redis and upstream: the
 * request log off (REQUEST_LOG_MAX_ENTRIES=0) against on (the default: its cost), and traces on (exported over
 * OTLP/HTTP to a local sink, every request sampled) against off (the default: tracing's cost when it is on; off, the
 * SDK is not loaded and no middleware is mounted).
 */
export async function operatingScenario(context: ScenarioContext): Promise<void> {
  const { env } = context;
  const sink = await startTraceSink();
  const byDefault = await env.startGateway({ apis: 1, workers: 1 });
  const logOff = await env.startGateway({ apis: 1, workers: 1, env: { REQUEST_LOG_MAX_ENTRIES: '0' } });
  const traced = await env.startGateway({
    apis: 1,
    workers: 1,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_TRACES_SAMPLER: 'always_on' },
  });
  try {
    context.log('operating: warm-up');
    for (const gateway of [byDefault, logOff, traced])
      await runLoad({ url: `${gateway.urls[0]}/v1/chat`, body: chatBody, connections: 16, durationSeconds: 2 });
    const shared = { redis: env.redisPid, upstream: env.upstreamPid };
    const side = (gateway: typeof byDefault) => ({ url: `${gateway.urls[0]}/v1/chat`, body: chatBody, pids: { ...gateway.pids(), ...shared } });
    const options = { connections: 32, rounds: 6, seconds: 2, commandCount: () => env.commandCount() };
    const rounds = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
    const report = (scenario: string, what: string, result: InterleavedResult, baseline: string) => {
      context.log(`operating: ${what} ${rounds(result.a)} rps vs ${baseline} ${rounds(result.b)} rps; median ratio ${result.ratio.toFixed(3)}`);
      context.rows.push({
        scenario,
        metric: `requests/s, median of 6 alternating rounds (baseline: ${baseline}); ratio: median of the per-round ratios`,
        value: result.medianA,
        unit: '',
        baseline: result.medianB,
        ratio: result.ratio,
        note: `CPU ${result.cpuMsPerRequestA.toFixed(2)} vs ${result.cpuMsPerRequestB.toFixed(2)} ms/request`,
      });
      if (result.commandsA !== undefined && result.commandsB !== undefined) {
        context.rows.push({
          scenario,
          metric: `Redis commands / request (baseline: ${baseline})`,
          value: result.commandsA,
          unit: '',
          baseline: result.commandsB,
        });
      }
    };
    report('request log on c=32', 'request log on (default)', await interleavedComparison(side(byDefault), side(logOff), options), 'request log off');
    const before = sink.spans();
    const tracing = await interleavedComparison(side(traced), side(byDefault), options);
    report('traces on c=32', 'traces on', tracing, 'traces off (default)');
    context.log(`operating: the sink received ${((sink.spans() - before) / 1024 / 1024).toFixed(1)} MiB of OTLP exports`);
  } finally {
    await Promise.all([env.stopQuietly(byDefault), env.stopQuietly(logOff), env.stopQuietly(traced)]);
    await sink.close();
  }
}
