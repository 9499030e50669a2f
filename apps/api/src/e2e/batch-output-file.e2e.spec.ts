import { get } from 'node:http';
import { postJson, useGateway, waitFor } from '@gateway/testing';

/**
 * A batch's output file read whole through `GET /v1/files/{id}/content`: every line, in request order, each one
 * JSON in OpenAI's shape, whether the client reads as fast as it can or stalls between reads (the API waits for it
 * to drain, page by page).
 */
jest.setTimeout(120_000);

const SIZE = 5000;
const { gateway } = useGateway({
  name: 'batch-output-file',
  env: {
    LLM_PROVIDER: 'mock',
    LLM_DEFAULT_MODEL: 'mock/echo',
    WORKER_CONCURRENCY: '50',
    GATEWAY_RATE_RPS: '100000',
    GATEWAY_RATE_BURST: '100000',
    CIRCUIT_FAILURE_THRESHOLD: '100000',
  },
});

/** The body of a GET, read chunk by chunk; `stallMs` waits (the socket paused) after each of the first chunks. */
function readBody(url: string, stallMs = 0): Promise<{ status: number; text: string; chunks: number }> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (stallMs > 0 && chunks.length <= 20) {
          response.pause();
          setTimeout(() => response.resume(), stallMs);
        }
      });
      response.once('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), chunks: chunks.length }));
      response.once('error', reject);
    }).once('error', reject);
  });
}

interface OutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: { object: string; choices: { message: { content: string } }[] } };
  error: null;
}

describe('a 5,000-line output file', () => {
  let outputUrl: string;
  let batchCreatedAt: number;
  beforeAll(async () => {
    batchCreatedAt = Date.now();
    const requests = Array.from({ length: SIZE }, (_, index) => ({ custom_id: `c${index}`, messages: [{ role: 'user', content: `item ${index}` }] }));
    const accepted = await postJson(`${gateway.baseUrl}/v1/batches`, { requests });
    expect(accepted.status).toBe(202);
    const batchId = (accepted.body as { batch_id: string }).batch_id;
    let view: { done: boolean; counts: Record<string, number>; output_file_id: string } | undefined;
    await waitFor(async () => {
      view = (await (await fetch(`${gateway.baseUrl}/v1/batches/${batchId}`)).json()) as typeof view;
      return view!.done;
    }, 90_000);
    expect(view!.counts['completed']).toBe(SIZE);
    outputUrl = `${gateway.baseUrl}/v1/files/${view!.output_file_id}/content`;
  });

  const checkComplete = (text: string) => {
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(SIZE);
    lines.forEach((line, index) => {
      const parsed = JSON.parse(line) as OutputLine;
      expect(parsed.custom_id).toBe(`c${index}`);
      expect(parsed.error).toBeNull();
      expect(parsed.response.status_code).toBe(200);
      expect(parsed.response.body.object).toBe('chat.completion');
      expect(parsed.response.body.choices[0]!.message.content).toBe(`Mock reply to: item ${index}`);
    });
  };

  it('is complete, in order, and each line parses', async () => {
    const { status, text } = await readBody(outputUrl);
    expect(status).toBe(200);
    checkComplete(text);
  });

  // A file's bytes do not change once its requests ended: each answer's `created` is when its request finished, not
  // when the file is read (the second read is in a later second).
  it('reads the same bytes every time, each answer created when its request finished', async () => {
    const first = await readBody(outputUrl);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await readBody(outputUrl);
    expect(second.text).toBe(first.text);
    const created = first.text
      .slice(0, -1)
      .split('\n')
      .map((line) => (JSON.parse(line) as { response: { body: { created: number } } }).response.body.created);
    expect(Math.max(...created)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) - 1);
    expect(Math.min(...created)).toBeGreaterThanOrEqual(Math.floor(batchCreatedAt / 1000));
  });

  it('is complete for a client that stalls between reads', async () => {
    const { status, text, chunks } = await readBody(outputUrl, 100);
    expect(status).toBe(200);
    expect(chunks).toBeGreaterThan(20);
    checkComplete(text);
  });
});
