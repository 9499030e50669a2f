import type { Gateway } from '../environment';
import { interleavedComparison } from '../interleaved';
import { runLoad } from '../load';
import { chatBody, type ScenarioContext } from './context';

/** A setting of the gateway switched off, against the full configuration (an API key, its limits and ledger, the global limits and budgets). */
interface Variant {
  label: string;
  env?: Record<string, string>;
  /** A gateway without API keys (no admin token), called without one. */
  anonymous?: boolean;
}

const variants: Variant[] = [
  { label: 'admission and add in two round trips (GATEWAY_FUSED_ENQUEUE=false)', env: { GATEWAY_FUSED_ENQUEUE: 'false' } },
  { label: 'without an API key (no key lookup, no key limits or key ledger)', env: {}, anonymous: true },
  { label: 'limits and budgets off (GATEWAY_LIMITS_ENABLED=false), anonymous', env: { GATEWAY_LIMITS_ENABLED: 'false' }, anonymous: true },
];

/**
 * What each feature of the hot path costs: the full configuration against the same gateway with one feature
 * switched off, in alternating rounds at 32 connections (the ratio is the full one's throughput over the variant's).
 */
export async function featuresScenario(context: ScenarioContext): Promise<void> {
  const { env } = context;
  const full = await env.startGateway({ apis: 1, workers: 1, apiKey: true });
  const started: Gateway[] = [full];
  try {
    const shared = { redis: env.redisPid, upstream: env.upstreamPid };
    const fullSide = { url: `${full.urls[0]}/v1/chat`, body: chatBody, pids: { ...full.pids(), ...shared }, headers: full.headers };
    await runLoad({ url: fullSide.url, body: chatBody, connections: 16, durationSeconds: 2, headers: full.headers });
    for (const variant of variants) {
      const gateway = variant.env ? await env.startGateway({ apis: 1, workers: 1, env: variant.env, apiKey: !variant.anonymous }) : full;
      if (gateway !== full) started.push(gateway);
      const headers = variant.anonymous ? {} : gateway.headers;
      const side = { url: `${gateway.urls[0]}/v1/chat`, body: chatBody, pids: { ...gateway.pids(), ...shared }, headers };
      if (gateway !== full) await runLoad({ url: side.url, body: chatBody, connections: 16, durationSeconds: 2, headers });
      const result = await interleavedComparison(fullSide, side, { connections: 32, rounds: 6, seconds: 2, commandCount: () => env.commandCount() });
      context.log(
        `features: ${variant.label}: full/variant ${result.ratio.toFixed(3)}, CPU ${result.cpuMsPerRequestA.toFixed(3)} vs ${result.cpuMsPerRequestB.toFixed(3)} ms`,
      );
      const scenario = 'features c=32';
      context.rows.push({
        scenario,
        metric: `requests/s of the full configuration (baseline: ${variant.label}; ratio: median of 6 alternating rounds)`,
        value: result.medianA,
        unit: '',
        baseline: result.medianB,
      });
      context.rows.push({
        scenario,
        metric: `CPU ms / request, all processes (baseline: ${variant.label})`,
        value: result.cpuMsPerRequestA,
        unit: 'ms',
        baseline: result.cpuMsPerRequestB,
      });
      if (result.commandsA !== undefined && result.commandsB !== undefined)
        context.rows.push({
          scenario,
          metric: `Redis commands / request (baseline: ${variant.label})`,
          value: result.commandsA,
          unit: '',
          baseline: result.commandsB,
        });
      if (gateway !== full) {
        started.splice(started.indexOf(gateway), 1);
        await env.stopQuietly(gateway);
      }
    }
  } finally {
    await Promise.all(started.map((gateway) => env.stopQuietly(gateway)));
  }
}
