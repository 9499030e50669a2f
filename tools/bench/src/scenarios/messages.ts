import { Agent } from 'undici';
import { interleavedComparison } from '../interleaved';
import { runLoad } from '../load';
import { messagesContent, openAiContent, readStream } from '../sse-client';
import { median, routeExists, upstreamBody, type ScenarioContext } from './context';

const messagesBody = { model: 'bench', max_tokens: 256, stream: true, messages: [{ role: 'user', content: 'Say hello in five words.' }] };
const completionsBody = { ...upstreamBody, stream: true };

/**
 * POST /v1/messages streamed against POST /v1/chat/completions streamed on the same gateway in the same run:
 * throughput at 32 connections in alternating rounds, and the time to first token of streams taken in turn one at a
 * time; each as a ratio to the chat route.
 */
export async function messagesScenario(context: ScenarioContext): Promise<void> {
  const { env, rows } = context;
  const gateway = await env.startGateway({ apis: 1, workers: 1 });
  try {
    const base = gateway.urls[0]!;
    const messagesUrl = `${base}/v1/messages`;
    const completionsUrl = `${base}/v1/chat/completions`;
    if (!(await routeExists(messagesUrl, messagesBody))) {
      context.log('messages: /v1/messages is not served: skipped');
      return;
    }
    context.log('messages: warm-up');
    await runLoad({ url: messagesUrl, body: messagesBody, connections: 16, durationSeconds: 2 });
    await runLoad({ url: completionsUrl, body: completionsBody, connections: 16, durationSeconds: 2 });

    const pids = { ...gateway.pids(), redis: env.redisPid, upstream: env.upstreamPid };
    const compared = await interleavedComparison(
      { url: messagesUrl, body: messagesBody, pids },
      { url: completionsUrl, body: completionsBody, pids },
      {
        connections: 32,
        rounds: 4,
        seconds: Math.min(2, context.durationSeconds),
      },
    );
    const rounds = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
    context.log(`messages streamed c=32: ${rounds(compared.a)} vs chat completions ${rounds(compared.b)} rps; ratio ${compared.ratio.toFixed(3)}`);
    rows.push({
      scenario: 'messages c=32',
      metric: '/v1/messages streamed: requests/s, median of 4 alternating rounds (baseline: /v1/chat/completions streamed)',
      value: compared.medianA,
      unit: '',
      baseline: compared.medianB,
      ratio: compared.ratio,
      note: `p99 ${compared.p99A} ms vs ${compared.p99B} ms; CPU ${compared.cpuMsPerRequestA.toFixed(2)} vs ${compared.cpuMsPerRequestB.toFixed(2)} ms/request`,
      target: '≥ 0.90×',
      met: compared.ratio >= 0.9,
      goal: 'messages-stream-throughput',
    });

    // One stream at a time, in turn: the first token is the first text delta.
    const agent = new Agent({ connections: 1 });
    const streamed: number[] = [];
    const chat: number[] = [];
    let broken = 0;
    for (let index = 0; index < 110; index += 1) {
      const viaMessages = await readStream(messagesUrl, messagesBody, messagesContent, agent);
      const viaCompletions = await readStream(completionsUrl, completionsBody, openAiContent, agent);
      if (!viaMessages.ok || !viaCompletions.ok) broken += 1;
      // The first 10 of each are warm-up.
      if (index >= 10) {
        streamed.push(viaMessages.ttftMs);
        chat.push(viaCompletions.ttftMs);
      }
    }
    await agent.close();
    const ttftRatio = median(streamed) / median(chat);
    context.log(
      `messages: TTFT ${median(streamed).toFixed(2)} ms vs chat completions ${median(chat).toFixed(2)} ms (${ttftRatio.toFixed(3)}×); broken ${broken}`,
    );
    rows.push({
      scenario: 'messages c=1',
      metric: '/v1/messages stream: time to first token, median of 100 taken in turn (baseline: /v1/chat/completions stream)',
      value: median(streamed),
      unit: 'ms',
      baseline: median(chat),
      note: `streams not ending in message_stop / [DONE]: ${broken}`,
      target: '≤ 1.10×',
      met: ttftRatio <= 1.1 && broken === 0,
      goal: 'messages-ttft',
    });
  } finally {
    await gateway.stop();
  }
}
