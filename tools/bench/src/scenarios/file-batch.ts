import { get } from 'node:http';
import { cpuDelta, cpuSnapshot } from '../proc-stats';
import type { ScenarioContext } from './context';

/**
 * Waits until the batch `id` is done (its view, `GET /v1/batches/{id}`, polled every 20 ms); the seconds that took from
 * `started` (ms). The batch's own counts, not the queue's completed set: BullMQ keeps at most 100,000 completed jobs
 * (removeOnComplete), which a bench that runs several large batches on one gateway passes.
 */
async function drained(baseUrl: string, id: string, size: number, started: number): Promise<number> {
  for (;;) {
    const view = (await (await fetch(`${baseUrl}/v1/batches/${id}`)).json()) as { done?: boolean; request_counts?: { completed?: number; failed?: number } };
    if (view.done) {
      const ended = (view.request_counts?.completed ?? 0) + (view.request_counts?.failed ?? 0);
      if (ended !== size) throw new Error(`batch ${id} ended with ${ended} of ${size} requests answered`);
      return (performance.now() - started) / 1000;
    }
    if (performance.now() - started > 300_000) throw new Error(`batch not drained in 300 s: ${JSON.stringify(view.request_counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const chatMessages = (index: number) => [{ role: 'user', content: `item ${index}` }];

/**
 * One read of a file's content: its bytes and the seconds from the request to its last byte. node:http, not fetch:
 * the reader shares the machine's cores with the gateway, and fetch's web streams cost it several times the CPU.
 */
function readOutput(url: string): Promise<{ bytes: number; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`output file refused: HTTP ${response.statusCode}`));
        return;
      }
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.once('end', () => resolve({ bytes, seconds: (performance.now() - started) / 1000 }));
      response.once('error', reject);
    }).once('error', reject);
  });
}

/** Lines of the uploaded file: 50,000, the size the target is set for (BENCH_FILE_BATCH_LINES for a quicker run). */
export function fileBatchLines(): number {
  return Number(process.env['BENCH_FILE_BATCH_LINES'] ?? 50_000);
}

/** The file batch alone (`--only=file-batch`): one API and one worker, an uploaded file of `size` lines. */
export async function fileBatchScenario(context: ScenarioContext, size = fileBatchLines()): Promise<void> {
  const gateway = await context.env.startGateway({ apis: 1, workers: 1, env: { BATCH_MAX_REQUESTS: String(size) } });
  try {
    await fileBatchComparison(context, gateway.urls[0]!, size, gateway.pids()['api1']);
  } finally {
    await context.env.stopQuietly(gateway);
  }
}

/**
 * An OpenAI batch from an uploaded file against today's native batch, on one gateway in the same run: the native
 * batch's drain, then the file's upload time, the time its batch takes to answer `in_progress`, its drain, and
 * the output file streamed back.
 */
export async function fileBatchComparison(context: ScenarioContext, baseUrl: string, size: number, apiPid?: number): Promise<void> {
  const scenario = `file batch ${size}, 1 worker`;
  // The native batch first: its drain rate is the yardstick.
  const native = Array.from({ length: size }, (_, index) => ({ agent_id: 'bench-batch', model: 'mock/bench', messages: chatMessages(index) }));
  let started = performance.now();
  const accepted = await fetch(`${baseUrl}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(native) });
  if (accepted.status !== 202) throw new Error(`native batch refused: HTTP ${accepted.status}`);
  const { batch_id: nativeId } = (await accepted.json()) as { batch_id: string };
  const nativeRate = size / (await drained(baseUrl, nativeId, size, started));

  const jsonl = Array.from({ length: size }, (_, index) =>
    JSON.stringify({
      custom_id: `c${index}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'mock/bench', user: 'bench-batch', messages: chatMessages(index) },
    }),
  ).join('\n');
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([jsonl]), 'bench.jsonl');
  started = performance.now();
  const uploaded = await fetch(`${baseUrl}/v1/files`, { method: 'POST', body: form });
  const file = (await uploaded.json()) as { id?: string; bytes?: number };
  const uploadSeconds = (performance.now() - started) / 1000;
  if (!file.id) throw new Error(`upload refused: HTTP ${uploaded.status} ${JSON.stringify(file).slice(0, 200)}`);

  started = performance.now();
  const created = await fetch(`${baseUrl}/v1/batches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
  });
  const batch = (await created.json()) as { id?: string; status?: string; output_file_id?: string };
  const inProgressSeconds = (performance.now() - started) / 1000;
  if (!batch.id || batch.status !== 'in_progress') throw new Error(`file batch refused: HTTP ${created.status} ${JSON.stringify(batch).slice(0, 200)}`);
  const fileRate = size / (await drained(baseUrl, batch.id, size, started));

  // The output file read three times over: the median read is the figure (the first also warms the path up). The
  // CPU the API and Redis spend on a read is steadier than its time on a shared machine: it goes beside it.
  const pids = { ...(apiPid !== undefined ? { api: apiPid } : {}), redis: context.env.redisPid };
  const reads: { bytes: number; seconds: number; cpu: Record<string, number> }[] = [];
  for (let read = 0; read < 3; read += 1) {
    const before = cpuSnapshot(pids);
    const { bytes, seconds } = await readOutput(`${baseUrl}/v1/files/${batch.output_file_id}/content`);
    reads.push({ bytes, seconds, cpu: cpuDelta(before, cpuSnapshot(pids)) });
  }
  const { bytes: outputBytes, seconds: streamSeconds, cpu } = [...reads].sort((a, b) => a.seconds - b.seconds)[1]!;
  const megabytes = outputBytes / 1024 / 1024;
  const megabytesPerSecond = megabytes / streamSeconds;
  const cpuNote = Object.entries(cpu)
    .map(([name, seconds]) => `${name} ${((seconds * 1000) / megabytes).toFixed(1)}`)
    .join(', ');

  context.log(
    `file batch: upload ${((file.bytes ?? 0) / 1024 / 1024).toFixed(1)} MB in ${uploadSeconds.toFixed(2)} s, in_progress after ${inProgressSeconds.toFixed(2)} s, ` +
      `drain ${fileRate.toFixed(0)} jobs/s (native ${nativeRate.toFixed(0)}), output ${(outputBytes / 1024 / 1024).toFixed(1)} MB at ${megabytesPerSecond.toFixed(1)} MB/s ` +
      `(reads: ${reads.map((read) => (read.bytes / 1024 / 1024 / read.seconds).toFixed(1)).join(', ')} MB/s; CPU ms per MB: ${cpuNote})`,
  );
  context.rows.push({
    scenario,
    metric: `upload time (POST /v1/files, ${((file.bytes ?? 0) / 1024 / 1024).toFixed(1)} MB)`,
    value: uploadSeconds,
    unit: 's',
  });
  context.rows.push({ scenario, metric: 'time to in_progress (POST /v1/batches from the file)', value: inProgressSeconds, unit: 's' });
  context.rows.push({
    scenario,
    metric: 'drain rate vs the native batch (same gateway, same run)',
    value: fileRate,
    baseline: nativeRate,
    unit: 'jobs/s',
    target: '≥ 0.9×',
    met: fileRate >= 0.9 * nativeRate,
  });
  context.rows.push({
    scenario,
    metric: 'CPU per MB of output file read (API, Redis)',
    value: (Object.values(cpu).reduce((sum, seconds) => sum + seconds, 0) * 1000) / megabytes,
    unit: 'ms/MB',
    note: cpuNote,
  });
  context.rows.push({
    scenario,
    metric: 'output file streamed (GET /v1/files/{id}/content, median of 3 reads)',
    value: megabytesPerSecond,
    unit: 'MB/s',
    target: '≥ 50',
    met: megabytesPerSecond >= 50,
  });
}
