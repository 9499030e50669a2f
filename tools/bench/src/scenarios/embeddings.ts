import OpenAI from 'openai';
import { cpuDelta, cpuPerRequest, cpuSnapshot, systemSeconds } from '../proc-stats';
import { median, routeExists, type ScenarioContext } from './context';

/** Inputs embedded per run, and per request of the interactive route. */
const TOTAL_INPUTS = 10_000;
const INPUTS_PER_REQUEST = 100;
/** Requests in flight from the client. */
const CONCURRENCY = 8;
const model = 'openai/text-embedding-3-small';

const inputs = Array.from({ length: TOTAL_INPUTS }, (_, index) => `document ${index}: a paragraph of text the pipeline indexes for retrieval`);

/** Embeds every input in requests of INPUTS_PER_REQUEST, CONCURRENCY at a time, with the openai SDK (base64, decoded); inputs per second. */
async function embedAll(client: OpenAI): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < TOTAL_INPUTS) {
      const start = next;
      next += INPUTS_PER_REQUEST;
      const answer = await client.embeddings.create({ model, input: inputs.slice(start, start + INPUTS_PER_REQUEST) });
      if (answer.data.length !== Math.min(INPUTS_PER_REQUEST, TOTAL_INPUTS - start)) throw new Error('embeddings: a short answer');
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return TOTAL_INPUTS / ((performance.now() - started) / 1000);
}

/** Embeds every input as a native batch of OpenAI lines (`url` /v1/embeddings, 100 inputs each), timed until it is done. */
async function embedAsBatch(base: string): Promise<number> {
  const lines = Array.from({ length: TOTAL_INPUTS / INPUTS_PER_REQUEST }, (_, index) =>
    JSON.stringify({
      custom_id: `e${index}`,
      method: 'POST',
      url: '/v1/embeddings',
      body: { model, input: inputs.slice(index * INPUTS_PER_REQUEST, (index + 1) * INPUTS_PER_REQUEST), encoding_format: 'base64' },
    }),
  );
  const started = performance.now();
  const response = await fetch(`${base}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/jsonl' }, body: lines.join('\n') });
  if (response.status !== 202) throw new Error(`embeddings batch refused: HTTP ${response.status}`);
  const { batch_id: batchId } = (await response.json()) as { batch_id: string };
  for (;;) {
    const view = (await (await fetch(`${base}/v1/batches/${batchId}`)).json()) as { done: boolean; counts: Record<string, number> };
    if (view.done) {
      if ((view.counts['completed'] ?? 0) !== lines.length) throw new Error(`embeddings batch: ${JSON.stringify(view.counts)}`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return TOTAL_INPUTS / ((performance.now() - started) / 1000);
}

/**
 * 10,000 embedding inputs through one API and one worker, against the same openai SDK client straight to the fake
 * upstream in the same run (alternating rounds): in requests of 100 inputs (8 in flight, base64 as the SDK asks), and
 * as one native batch of 100 lines.
 */
export async function embeddingsScenario(context: ScenarioContext): Promise<void> {
  const gateway = await context.env.startGateway({ apis: 1, workers: 1 });
  try {
    const base = gateway.urls[0]!;
    if (!(await routeExists(`${base}/v1/embeddings`, { model, input: 'x' }))) {
      context.log('embeddings: /v1/embeddings is not served: skipped');
      return;
    }
    const through = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
    const straight = new OpenAI({ baseURL: `${context.env.upstreamUrl}/api/v1`, apiKey: 'bench-key', maxRetries: 0 });
    context.log('embeddings: warm-up');
    await Promise.all([embedAll(through), embedAll(straight)]);
    const gatewayRates: number[] = [];
    const directRates: number[] = [];
    const pids = { client: process.pid, ...gateway.pids(), redis: context.env.redisPid, upstream: context.env.upstreamPid };
    const cpu = { through: {} as Record<string, number>, straight: {} as Record<string, number> };
    const systemSnapshot = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [`${name} sys`, systemSeconds(pid)]));
    const timed = async (client: OpenAI, into: Record<string, number>) => {
      const before = { ...cpuSnapshot(pids), ...systemSnapshot() };
      const rate = await embedAll(client);
      for (const [name, seconds] of Object.entries(cpuDelta(before, { ...cpuSnapshot(pids), ...systemSnapshot() }))) into[name] = (into[name] ?? 0) + seconds;
      return rate;
    };
    for (let round = 0; round < 3; round += 1) {
      gatewayRates.push(await timed(through, cpu.through));
      directRates.push(await timed(straight, cpu.straight));
    }
    // CPU ms of each process per request of 100 inputs, over the three rounds of each.
    const requests = (3 * TOTAL_INPUTS) / INPUTS_PER_REQUEST;
    const only = (all: Record<string, number>, system: boolean) => Object.fromEntries(Object.entries(all).filter(([name]) => name.endsWith(' sys') === system));
    for (const [label, all] of [
      ['through the gateway', cpu.through],
      ['straight', cpu.straight],
    ] as const) {
      const [total, system] = [cpuPerRequest(only(all, false), requests), cpuPerRequest(only(all, true), requests)];
      context.log(`embeddings CPU ms per request of 100, ${label}: ${total.totalMs.toFixed(2)} (${total.note}; of which in the kernel: ${system.note})`);
    }
    const batchRates: number[] = [];
    for (let round = 0; round < 2; round += 1) batchRates.push(await embedAsBatch(base));
    const [viaGateway, direct, batch] = [median(gatewayRates), median(directRates), median(batchRates)];
    const rounds = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
    context.log(`embeddings requests of 100: ${rounds(gatewayRates)} vs straight ${rounds(directRates)} inputs/s; batch ${rounds(batchRates)} inputs/s`);
    rows(context, viaGateway, direct, batch);
  } finally {
    await context.env.stopQuietly(gateway);
  }
}

function rows(context: ScenarioContext, viaGateway: number, direct: number, batch: number): void {
  context.rows.push(
    {
      scenario: 'embeddings',
      metric: '10,000 inputs in requests of 100 (8 in flight, openai SDK, base64): inputs/s, median of 3 (baseline: the same client straight to the upstream)',
      value: viaGateway,
      unit: '',
      baseline: direct,
      ratio: viaGateway / direct,
      target: '≥ 0.80×',
      met: viaGateway / direct >= 0.8,
      goal: 'embeddings-throughput',
    },
    {
      scenario: 'embeddings',
      metric: '10,000 inputs as one native batch of 100 lines: inputs/s from POST to done, median of 2 (baseline: requests straight to the upstream)',
      value: batch,
      unit: '',
      baseline: direct,
      ratio: batch / direct,
    },
  );
}
