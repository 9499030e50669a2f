import { Agent } from 'undici';
import { gatewayContent, openAiContent, readStream } from '../sse-client';
import { median, routeExists, type ScenarioContext } from './context';

const messages = [{ role: 'user', content: 'Stream to me.' }];

/** The text the bench upstream streams for `chunks` chunks: "t0 t1 … ". */
function expectedText(chunks: number): string {
  return Array.from({ length: chunks }, (_, index) => `t${index} `).join('');
}

/** Time to first token added over the upstream's own (median of 100 sequential), then 200 × 500-chunk streams at once. */
export async function streamingScenario(context: ScenarioContext): Promise<void> {
  const gateway = await context.env.startGateway({ apis: 1, workers: 1 });
  try {
    const streamUrl = `${gateway.urls[0]}/v1/chat/stream`;
    if (!(await routeExists(streamUrl, { messages, model: 'bench' }))) {
      context.log('streaming: /v1/chat/stream is not served: skipped');
      return;
    }
    const directUrl = `${context.env.upstreamUrl}/api/v1/chat/completions`;
    // Warm-up (as the other scenarios have): 400 streams, 8 at a time, so the processes run optimized code.
    const warm = new Agent({ connections: 8 });
    for (let batch = 0; batch < 50; batch += 1) {
      await Promise.all(Array.from({ length: 8 }, () => readStream(streamUrl, { model: 'bench', messages }, gatewayContent, warm)));
    }
    await warm.close();
    const completionsUrl = `${gateway.urls[0]}/v1/chat/completions`;
    const hasCompletions = await routeExists(completionsUrl, { model: 'bench', messages });
    const agent = new Agent({ connections: 1 });
    const direct: number[] = [];
    const through: number[] = [];
    const completions: number[] = [];
    for (let index = 0; index < 110; index += 1) {
      // Interleaved, so load drift hits every series alike; the first 10 are left out.
      const upstream = await readStream(directUrl, { model: 'bench', messages, stream: true }, openAiContent, agent);
      const relayed = await readStream(streamUrl, { model: 'bench', messages }, gatewayContent, agent);
      const relayedOpenAi = hasCompletions ? await readStream(completionsUrl, { model: 'bench', messages, stream: true }, openAiContent, agent) : undefined;
      if (index >= 10) {
        direct.push(upstream.ttftMs);
        through.push(relayed.ttftMs);
        if (relayedOpenAi) completions.push(relayedOpenAi.ttftMs);
      }
    }
    await agent.close();
    const added = median(through) - median(direct);
    const addedCompletions = median(completions) - median(direct);
    context.log(
      `streaming: TTFT direct ${median(direct).toFixed(2)} ms, /v1/chat/stream ${median(through).toFixed(2)} ms${hasCompletions ? `, /v1/chat/completions ${median(completions).toFixed(2)} ms` : ''}`,
    );
    context.rows.push({
      scenario: 'streaming',
      metric: 'time to first token (median of 100), /v1/chat/stream',
      value: median(through),
      unit: 'ms',
      baseline: median(direct),
    });
    context.rows.push({
      scenario: 'streaming',
      metric: 'TTFT added by the gateway, /v1/chat/stream',
      value: added,
      unit: 'ms',
      target: '≤ 1 ms',
      met: added <= 1,
      ...(hasCompletions ? {} : { goal: 'ttft-added' }),
    });
    if (hasCompletions) {
      context.rows.push({
        scenario: 'streaming',
        metric: 'time to first token (median of 100), /v1/chat/completions stream: true',
        value: median(completions),
        unit: 'ms',
        baseline: median(direct),
      });
      context.rows.push({
        scenario: 'streaming',
        metric: 'TTFT added by the gateway, /v1/chat/completions stream: true',
        value: addedCompletions,
        unit: 'ms',
        target: '≤ 1 ms',
        met: addedCompletions <= 1,
        goal: 'ttft-added',
      });
    }

    const streams = 200;
    const chunks = 500;
    const expected = expectedText(chunks);
    const pool = new Agent({ connections: streams });
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: streams }, () => readStream(streamUrl, { model: `bench?chunks=${chunks}`, messages }, gatewayContent, pool)),
    );
    const seconds = (performance.now() - started) / 1000;
    await pool.close();
    const intact = outcomes.filter((outcome) => outcome.ok && outcome.text === expected).length;
    const lostChunks = outcomes.reduce((sum, outcome) => sum + (chunks - (outcome.text.match(/t\d+ /g) ?? []).length), 0);
    const rate = (streams * chunks) / seconds;
    context.log(
      `streaming: ${streams}×${chunks} chunks in ${seconds.toFixed(2)} s (${rate.toFixed(0)} chunks/s), intact ${intact}/${streams}, lost ${lostChunks}`,
    );
    context.rows.push({ scenario: `streaming ${streams}×${chunks}`, metric: 'chunks relayed per second', value: rate, unit: '' });
    context.rows.push({ scenario: `streaming ${streams}×${chunks}`, metric: 'chunks lost', value: lostChunks, unit: '', target: '0', met: lostChunks === 0 });
    context.rows.push({
      scenario: `streaming ${streams}×${chunks}`,
      metric: 'streams intact and in order',
      value: intact,
      unit: '',
      target: `${streams}`,
      met: intact === streams,
    });
  } finally {
    await context.env.stopQuietly(gateway);
  }
}
