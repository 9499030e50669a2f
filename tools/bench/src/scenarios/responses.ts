import { Agent } from 'undici';
import { cpuSplit, interleavedComparison, type ComparedSide } from '../interleaved';
import { runLoad } from '../load';
import { runSequentialInterleaved } from '../sequential';
import { openAiContent, readStream, responsesContent } from '../sse-client';
import { median, routeExists, upstreamBody, type ScenarioContext } from './context';

const prompt = 'Say hello in five words.';
const responsesBody = { model: 'bench', input: prompt };

/**
 * POST /v1/responses against POST /v1/chat/completions on the same gateway in the same run: throughput at 32
 * connections (plain, plain with `store: false`, streamed) in alternating rounds, the latency of one plain call and
 * the time to first token of a stream, taken in turn request by request; every figure as a ratio to the chat route.
 */
export async function responsesScenario(context: ScenarioContext): Promise<void> {
  const { env, rows } = context;
  // Every stored response of the run belongs to one owner (no key): more than RESPONSES_MAX_PER_KEY's default.
  const gateway = await env.startGateway({ apis: 1, workers: 1, env: { RESPONSES_MAX_PER_KEY: '10000000' } });
  try {
    const base = gateway.urls[0]!;
    const responsesUrl = `${base}/v1/responses`;
    const completionsUrl = `${base}/v1/chat/completions`;
    if (!(await routeExists(responsesUrl, responsesBody))) {
      context.log('responses: /v1/responses is not served: skipped');
      return;
    }
    context.log('responses: warm-up');
    await runLoad({ url: responsesUrl, body: responsesBody, connections: 16, durationSeconds: 2 });
    await runLoad({ url: completionsUrl, body: upstreamBody, connections: 16, durationSeconds: 2 });

    const pids = { ...gateway.pids(), redis: env.redisPid, upstream: env.upstreamPid };
    const side = (url: string, body: unknown): ComparedSide => ({ url, body, pids });
    const seconds = Math.min(2, context.durationSeconds);
    const variants = [
      { name: 'plain', responses: responsesBody, completions: upstreamBody, goal: 'responses-throughput' },
      { name: 'plain, store: false', responses: { ...responsesBody, store: false }, completions: upstreamBody },
      { name: 'streamed', responses: { ...responsesBody, stream: true }, completions: { ...upstreamBody, stream: true }, goal: 'responses-stream-throughput' },
    ];
    for (const variant of variants) {
      const compared = await interleavedComparison(side(responsesUrl, variant.responses), side(completionsUrl, variant.completions), {
        connections: 32,
        rounds: 6,
        seconds,
      });
      const rounds = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
      context.log(`responses ${variant.name} c=32: ${rounds(compared.a)} vs chat completions ${rounds(compared.b)} rps; ratio ${compared.ratio.toFixed(3)}`);
      context.log(`responses ${variant.name} CPU ms/request: ${cpuSplit(compared.cpuByProcessA)} vs ${cpuSplit(compared.cpuByProcessB)}`);
      rows.push({
        scenario: 'responses c=32',
        metric: `/v1/responses ${variant.name}: requests/s, median of 6 alternating rounds (baseline: /v1/chat/completions)`,
        value: compared.medianA,
        unit: '',
        baseline: compared.medianB,
        ratio: compared.ratio,
        note: `p99 ${compared.p99A} ms vs ${compared.p99B} ms; CPU ${compared.cpuMsPerRequestA.toFixed(2)} vs ${compared.cpuMsPerRequestB.toFixed(2)} ms/request`,
        target: '≥ 0.90×',
        met: compared.ratio >= 0.9,
        ...(variant.goal ? { goal: variant.goal } : {}),
      });
    }

    // One call at a time: a plain answer is its whole latency; a stream's first token is its first text delta.
    const [plainResponses, plainCompletions] = await runSequentialInterleaved(
      [
        { url: responsesUrl, body: responsesBody },
        { url: completionsUrl, body: upstreamBody },
      ],
      500,
    );
    const plainRatio = plainResponses!.p50 / plainCompletions!.p50;
    rows.push({
      scenario: 'responses c=1',
      metric: '/v1/responses plain: p50 of 500 sequential, taken in turn (baseline: /v1/chat/completions)',
      value: plainResponses!.p50,
      unit: 'ms',
      baseline: plainCompletions!.p50,
      note: `p99 ${plainResponses!.p99.toFixed(2)} vs ${plainCompletions!.p99.toFixed(2)} ms; errors ${plainResponses!.errors}/${plainCompletions!.errors}`,
      target: '≤ 1.10×',
      met: plainRatio <= 1.1,
      goal: 'responses-latency',
    });
    const agent = new Agent({ connections: 1 });
    const streamed: number[] = [];
    const chat: number[] = [];
    let broken = 0;
    for (let index = 0; index < 110; index += 1) {
      const viaResponses = await readStream(responsesUrl, { ...responsesBody, stream: true }, responsesContent, agent);
      const viaCompletions = await readStream(completionsUrl, { ...upstreamBody, stream: true }, openAiContent, agent);
      if (!viaResponses.ok || !viaCompletions.ok) broken += 1;
      // The first 10 of each are warm-up.
      if (index >= 10) {
        streamed.push(viaResponses.ttftMs);
        chat.push(viaCompletions.ttftMs);
      }
    }
    await agent.close();
    const ttftRatio = median(streamed) / median(chat);
    context.log(
      `responses: TTFT ${median(streamed).toFixed(2)} ms vs chat completions ${median(chat).toFixed(2)} ms (${ttftRatio.toFixed(3)}×); broken ${broken}`,
    );
    rows.push({
      scenario: 'responses c=1',
      metric: '/v1/responses stream: time to first token, median of 100 taken in turn (baseline: /v1/chat/completions stream)',
      value: median(streamed),
      unit: 'ms',
      baseline: median(chat),
      note: `streams not ending in their completion event: ${broken}`,
      target: '≤ 1.10×',
      met: ttftRatio <= 1.1 && broken === 0,
      goal: 'responses-ttft',
    });
  } finally {
    await gateway.stop();
  }
}
