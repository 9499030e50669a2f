import { runLoad } from '../load';
import { runPaced } from '../paced-load';
import { chatBody, upstreamBody, type ScenarioContext } from './context';

/** Latency percentiles against offered load (an even, open-loop rate), direct and through the gateway, for the plot. */
export async function sweepScenario(context: ScenarioContext, rates: readonly number[]): Promise<void> {
  const gateway = await context.env.startGateway({ apis: 1, workers: 1 });
  try {
    const targets = {
      direct: { url: `${context.env.upstreamUrl}/api/v1/chat/completions`, body: upstreamBody },
      gateway: { url: `${gateway.urls[0]}/v1/chat`, body: chatBody },
    };
    for (const [name, target] of Object.entries(targets)) {
      await runLoad({ url: target.url, body: target.body, connections: 16, durationSeconds: 2 });
      const curve = (context.curves[name] ??= []);
      for (const rate of rates) {
        const result = await runPaced({ url: target.url, body: target.body, connections: 32, rate, durationSeconds: 3 });
        curve.push({ offeredRps: rate, achievedRps: result.achievedRps, p50: result.p50, p99: result.p99 });
        context.log(
          `sweep ${name} @${rate}/s: achieved ${result.achievedRps.toFixed(0)}, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, errors ${result.errors}`,
        );
      }
    }
  } finally {
    await gateway.stop();
  }
}
