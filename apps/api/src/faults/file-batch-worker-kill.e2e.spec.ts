import { callsFor, noRateLimit, scriptedBehaviour, useGateway, waitFor } from '@gateway/testing';

// A batch made from an uploaded file, its worker SIGKILLed mid-batch: the survivor takes the dead worker's requests
// over and every line of the file ends exactly once in the output file.
const lockMs = 2000;
const stalledIntervalMs = 1000;
const LINES = 30;
jest.setTimeout(120_000);

const suite = useGateway({
  name: 'file-batch-kill',
  openRouter: { apiKey: 'sk-or-file-batch', behave: scriptedBehaviour },
  env: {
    PROVIDER_TIMEOUT_MS: '8000',
    WORKER_CONCURRENCY: '8',
    WORKER_LOCK_DURATION_MS: String(lockMs),
    WORKER_STALLED_INTERVAL_MS: String(stalledIntervalMs),
    ...noRateLimit,
  },
  gateway: false,
});
const { fake } = suite;
const api = suite.addApi();

const content = (index: number) => `slow:4000 file-line-${index}`;

interface BatchObject {
  id: string;
  status: string;
  output_file_id: string;
  error_file_id: string | null;
  request_counts: { total: number; completed: number; failed: number };
}

describe('a worker killed mid-batch (a batch from an uploaded file)', () => {
  it('ends every line exactly once in the output file', async () => {
    const first = await suite.startWorker('SIGKILL');
    const lines = Array.from({ length: LINES }, (_, index) =>
      JSON.stringify({ custom_id: `c${index}`, method: 'POST', url: '/v1/chat/completions', body: { messages: [{ role: 'user', content: content(index) }] } }),
    );
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([`${lines.join('\n')}\n`]), 'kill.jsonl');
    const file = (await (await fetch(`${api.baseUrl}/v1/files`, { method: 'POST', body: form })).json()) as { id: string };
    const created = await fetch(`${api.baseUrl}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    });
    expect(created.status).toBe(200);
    const batch = (await created.json()) as BatchObject;

    // The first worker holds 8 calls of 4 s when it dies.
    const running = () => Array.from({ length: LINES }, (_, index) => callsFor(fake, content(index))).filter((calls) => calls > 0).length;
    await waitFor(() => running() >= 8, 30_000);
    const second = await suite.startWorker('SIGKILL');
    first.child.kill('SIGKILL');
    await first.exited();

    let ended: BatchObject | undefined;
    await waitFor(async () => {
      ended = (await (await fetch(`${api.baseUrl}/v1/batches/${batch.id}`)).json()) as BatchObject;
      return ended.status === 'completed';
    }, 60_000);
    expect(ended!.request_counts).toEqual({ total: LINES, completed: LINES, failed: 0 });
    expect(ended!.error_file_id).toBeNull();

    const output = (await (await fetch(`${api.baseUrl}/v1/files/${ended!.output_file_id}/content`)).text())
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as { custom_id: string; response: { body: { choices: { message: { content: string } }[] } } });
    expect(output).toHaveLength(LINES);
    expect(new Set(output.map((line) => line.custom_id)).size).toBe(LINES);
    for (const line of output) {
      const index = Number(line.custom_id.slice(1));
      expect(line.response.body.choices[0]!.message.content).toBe(`re ${content(index)}`);
    }
    // Only the dead worker's calls were made twice.
    const calls = Array.from({ length: LINES }, (_, index) => callsFor(fake, content(index)));
    expect(calls.every((count) => count === 1 || count === 2)).toBe(true);
    const rerun = calls.filter((count) => count === 2).length;
    expect(rerun).toBeGreaterThan(0);
    expect(rerun).toBeLessThanOrEqual(8);
    await second.stop();
  });
});
