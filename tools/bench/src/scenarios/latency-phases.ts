import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { requestStretches, stretchNames, stretchPercentiles, type RequestStretches, type TimedRequest } from '../latency-phases';
import { runLoad } from '../load';
import { startMonitor } from '../redis-monitor';
import { scriptNamer } from '../script-names';
import { percentile } from '../sequential';
import { socketOwners } from '../socket-owners';
import { upstreamBody, type ScenarioContext } from './context';

const count = 500;

/**
 * The offset from this process's monotonic clock (performance.now) to Redis's wall clock (what MONITOR stamps), from
 * the TIME round trip that took least of 20: within half that round trip (tens of microseconds). Measured, not taken
 * from performance.timeOrigin: the wall clock of a virtual machine is stepped now and then.
 */
async function redisClockOffset(redis: Redis): Promise<number> {
  let best = { rtt: Infinity, offset: NaN };
  for (let index = 0; index < 20; index += 1) {
    const before = performance.now();
    const [seconds, micros] = await redis.time();
    const after = performance.now();
    if (after - before < best.rtt) best = { rtt: after - before, offset: Number(seconds) * 1000 + Number(micros) / 1000 - (before + after) / 2 };
  }
  return best.offset;
}

/** Sends one POST and reads the answer; returns when it was sent and when read, on Redis's clock. */
async function timedPost(url: string, body: string, headers: Record<string, string>, agent: Agent, offset: number): Promise<TimedRequest & { ok: boolean }> {
  const sentAt = performance.now() + offset;
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, dispatcher: agent });
  await response.body.arrayBuffer();
  return { sentAt, doneAt: performance.now() + offset, ok: response.statusCode === 200 };
}

/**
 * Where the added latency at one connection goes: 500 sequential `POST /v1/chat/completions` (with an API key)
 * under MONITOR, each cut at the Redis commands that end its phases (the API's admit-and-add, the worker's
 * moveToActive, the worker's settle script, which publishes the reply), each phase's p50 and p99; the upstream
 * alone is called between them, for the share of the worker's stretch that is the upstream's own.
 */
export async function latencyPhasesScenario(context: ScenarioContext): Promise<void> {
  const { env } = context;
  const gateway = await env.startGateway({ apis: 1, workers: 1, apiKey: true });
  const admin = new Redis(env.redis.url);
  const agents = { gateway: new Agent({ connections: 1 }), direct: new Agent({ connections: 1 }) };
  try {
    const url = `${gateway.urls[0]}/v1/chat/completions`;
    const directUrl = `${env.upstreamUrl}/api/v1/chat/completions`;
    const body = JSON.stringify(upstreamBody);
    context.log('latency phases: warm-up');
    await runLoad({ url, body: upstreamBody, connections: 16, durationSeconds: 2, headers: gateway.headers });
    // Watched from before the flush: calls the warm-up left in flight reload their scripts right after it.
    const learning = await startMonitor(env.redis.url);
    await admin.script('FLUSH');
    for (let index = 0; index < 50; index += 1) await timedPost(url, body, gateway.headers, agents.gateway, 0);
    const offset = await redisClockOffset(admin);
    const learned = await learning.stop();
    const monitor = await startMonitor(env.redis.url);
    const requests: TimedRequest[] = [];
    const direct: number[] = [];
    for (let index = 0; index < count; index += 1) {
      const through = await timedPost(url, body, gateway.headers, agents.gateway, offset);
      if (through.ok) requests.push(through);
      const bare = await timedPost(directUrl, body, {}, agents.direct, offset);
      direct.push(bare.doneAt - bare.sentAt);
    }
    const trace = await monitor.stop();
    const drift = (await redisClockOffset(admin)) - offset;
    const owners = socketOwners(gateway.pids());
    const stretches = requestStretches(requests, trace, owners, scriptNamer(process.cwd(), [...learned, ...trace]));
    const percentiles = stretchPercentiles(stretches);
    const totals = requests.map((timed) => timed.doneAt - timed.sentAt).sort((a, b) => a - b);
    direct.sort((a, b) => a - b);
    const upstream = { p50: percentile(direct, 0.5), p99: percentile(direct, 0.99) };
    const total = { p50: percentile(totals, 0.5), p99: percentile(totals, 0.99) };
    const ms = (value: number) => `${value.toFixed(2)} ms`;
    context.log(
      `latency phases: ${stretches.length}/${count} requests cut; p50 ${Object.entries(percentiles)
        .map(([key, value]) => `${key} ${ms(value.p50)}`)
        .join(', ')}; whole ${ms(total.p50)}, the upstream alone ${ms(upstream.p50)}; clock drift over the run ${ms(drift)}`,
    );
    const scenario = 'latency phases c=1';
    for (const key of Object.keys(stretchNames) as Array<keyof RequestStretches>) {
      rows(context, scenario, stretchNames[key], percentiles[key]);
    }
    rows(context, scenario, 'whole request, as the client timed it (under MONITOR)', total);
    rows(context, scenario, 'the upstream alone, called between them', upstream);
    const lines = ['| stretch | p50 | p99 |', '|---|---|---|'];
    for (const key of Object.keys(stretchNames) as Array<keyof RequestStretches>)
      lines.push(`| ${stretchNames[key]} | ${ms(percentiles[key].p50)} | ${ms(percentiles[key].p99)} |`);
    lines.push(`| whole request (client) | ${ms(total.p50)} | ${ms(total.p99)} |`, `| the upstream alone | ${ms(upstream.p50)} | ${ms(upstream.p99)} |`);
    const table = lines.join('\n');
    process.stdout.write(`\n${table}\n\n`);
    context.sections.push(
      `## Where the time of one request goes, at one connection\n\n${count} sequential \`POST /v1/chat/completions\` with an API key under MONITOR, each cut at the Redis commands that end its phases (Redis's and the client's clocks are the same machine's); MONITOR itself adds a little to every command. The percentiles of the stretches do not add up to the request's.\n\n${table}\n`,
    );
  } finally {
    await Promise.all([agents.gateway.close(), agents.direct.close()]);
    admin.disconnect();
    await env.stopQuietly(gateway);
  }
}

function rows(context: ScenarioContext, scenario: string, metric: string, value: { p50: number; p99: number }): void {
  context.rows.push({ scenario, metric: `${metric}, p50`, value: value.p50, unit: 'ms', note: `p99 ${value.p99.toFixed(2)} ms` });
}
