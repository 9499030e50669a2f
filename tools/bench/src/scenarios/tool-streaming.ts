import { Agent } from 'undici';
import { openAiContent, readStream } from '../sse-client';
import type { ScenarioContext } from './context';

const messages = [{ role: 'user', content: 'Look these up.' }];
const tools = [
  { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { part: { type: 'array', items: { type: 'integer' } } } } } },
];

/** The arguments the bench upstream streams for one call of `chunks` fragments. */
function expectedArguments(chunks: number): string {
  return JSON.stringify({ part: Array.from({ length: chunks }, (_, index) => index) });
}

/** Reads one OpenAI stream's tool-call fragments into whole calls by index (as an SDK does). */
function toolCallCollector() {
  const calls: { id: string; name: string; arguments: string }[] = [];
  const extract = (data: string): string | undefined => {
    if (data === '[DONE]') return undefined;
    const parsed = JSON.parse(data) as {
      choices?: { delta?: { tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] } }[];
    };
    let fragment = '';
    for (const delta of parsed.choices?.[0]?.delta?.tool_calls ?? []) {
      const call = (calls[delta.index] ??= { id: '', name: '', arguments: '' });
      if (delta.id) call.id = delta.id;
      if (delta.function?.name) call.name = delta.function.name;
      call.arguments += delta.function?.arguments ?? '';
      fragment += delta.function?.arguments ?? '';
    }
    return fragment;
  };
  return { calls, extract };
}

/** 200 streamed answers at once, each of 2 parallel tool calls of 100 fragments, through /v1/chat/completions. */
export async function toolStreamingScenario(context: ScenarioContext): Promise<void> {
  const gateway = await context.env.startGateway({ apis: 1, workers: 1 });
  try {
    const url = `${gateway.urls[0]}/v1/chat/completions`;
    const streams = 200;
    const calls = 2;
    const chunks = 100;
    const body = { model: `bench?tools=${calls}&chunks=${chunks}`, messages, tools, stream: true };
    const warm = new Agent({ connections: 8 });
    for (let batch = 0; batch < 20; batch += 1) await Promise.all(Array.from({ length: 8 }, () => readStream(url, body, toolCallCollector().extract, warm)));
    await warm.close();

    // Baseline in the same run: text streams of as many chunks through the same route.
    const fragments = streams * calls * (chunks + 1);
    const textBody = { model: `bench?chunks=${calls * (chunks + 1)}`, messages, stream: true };
    const textPool = new Agent({ connections: streams });
    const textStarted = performance.now();
    await Promise.all(Array.from({ length: streams }, () => readStream(url, textBody, openAiContent, textPool)));
    const textSeconds = (performance.now() - textStarted) / 1000;
    await textPool.close();

    const pool = new Agent({ connections: streams });
    const collectors = Array.from({ length: streams }, () => toolCallCollector());
    const started = performance.now();
    const outcomes = await Promise.all(collectors.map((collector) => readStream(url, body, collector.extract, pool)));
    const seconds = (performance.now() - started) / 1000;
    await pool.close();
    const expected = expectedArguments(chunks);
    const intact = collectors.filter(
      (collector, index) =>
        outcomes[index]!.ok &&
        collector.calls.length === calls &&
        collector.calls.every((call, callIndex) => call.id === `call_bench_${callIndex}` && call.name === 'lookup' && call.arguments === expected),
    ).length;
    const ttft = outcomes.map((outcome) => outcome.ttftMs).sort((a, b) => a - b);
    context.log(
      `tool streaming: ${streams}×${calls} calls × ${chunks} fragments in ${seconds.toFixed(2)} s (${(fragments / seconds).toFixed(0)} fragments/s), intact ${intact}/${streams}`,
    );
    const scenario = `tool-call streams ${streams}×${calls}×${chunks}`;
    context.rows.push({
      scenario,
      metric: 'tool-call fragments relayed per second (baseline: text chunks)',
      value: fragments / seconds,
      unit: '',
      baseline: fragments / textSeconds,
    });
    context.rows.push({ scenario, metric: 'first fragment, median over the streams', value: ttft[Math.floor(ttft.length / 2)] ?? NaN, unit: 'ms' });
    context.rows.push({ scenario, metric: 'streams whose calls reassemble exactly', value: intact, unit: '', target: `${streams}`, met: intact === streams });
  } finally {
    await context.env.stopQuietly(gateway);
  }
}
