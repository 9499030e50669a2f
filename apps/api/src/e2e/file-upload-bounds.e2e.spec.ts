import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { useGateway } from '@gateway/testing';

// An upload near FILES_MAX_BYTES (34 MB here: the default 100 MB takes too long for CI on 2 cores) streams through the API (its memory stays flat) into compact chunks in Redis; past
// the bound or the key's quota it is refused while it streams.
jest.setTimeout(90_000);

const MB = 1024 * 1024;
const FILE_BYTES = 32 * MB;
const suite = useGateway({
  name: 'file-bounds',
  env: {
    LLM_PROVIDER: 'mock',
    LLM_DEFAULT_MODEL: 'mock/echo',
    FILES_MAX_BYTES: String(34 * MB),
    FILES_KEY_QUOTA_BYTES: String(40 * MB),
    BATCH_MAX_REQUESTS: '100000',
    // A small old space: V8 otherwise lets garbage pile up (the peak then grows with the file though nothing holds
    // it); capped, a file held whole would not fit, and the peak shows what the API really keeps.
    NODE_OPTIONS: '--max-old-space-size=64',
  },
});
const { gateway, redis, env } = suite;
// A second API on the same Redis with a small bound: refused past it while the file streams.
const small = suite.addApi({ FILES_MAX_BYTES: String(2 * MB) });

const words = 'the a gateway batch request answer model token queue worker redis stream line file upload quota memory bound'.split(' ');
/** One ~1 KB batch line of varied words (so it compresses as real prompts do, not as one repeated string). */
function line(index: number): string {
  let seed = index * 2654435761;
  let text = '';
  while (text.length < 860) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    text += `${words[seed % words.length]} `;
  }
  return `${JSON.stringify({ custom_id: `line-${index}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'mock/echo', messages: [{ role: 'user', content: text }] } })}\n`;
}

/** POSTs a multipart upload of `bytes` of lines, generated as it is sent (chunked: no Content-Length to refuse it early). */
function uploadGenerated(bytes: number, baseUrl = gateway.baseUrl): Promise<{ status: number; body: Record<string, unknown> }> {
  const boundary = 'gatewayboundary7b3a';
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/v1/files`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n`);
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n`);
    let sent = 0;
    let index = 0;
    const pump = () => {
      while (sent < bytes) {
        let piece = '';
        while (piece.length < 64 * 1024 && sent + piece.length < bytes) piece += line(index++);
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end(`\r\n--${boundary}--\r\n`);
    };
    pump();
  });
}

/** The API process's resident and peak resident memory (Linux /proc), in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

describe('uploads near the size bound', () => {
  it('streams a 32 MB file into Redis with the API memory flat, compact in Redis, refused past the bound and the quota', async () => {
    const pid = gateway.api.child.pid!;
    const before = memoryOf(pid);
    const started = performance.now();
    const stored = await uploadGenerated(FILE_BYTES);
    const uploadMs = performance.now() - started;
    const after = memoryOf(pid);
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ object: 'file', bytes: expect.any(Number) });
    // The last line may pass the target by its own length.
    expect(Math.abs((stored.body['bytes'] as number) - FILE_BYTES)).toBeLessThan(2048);
    const lines = stored.body['lines'] as number;

    const client = new Redis(redis.url);
    const chunkLengths = await client.eval(
      "local n = 0 for _, chunk in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do n = n + #chunk end return n",
      1,
      `${env['QUEUE_PREFIX']}:file:${String(stored.body['id'])}:data`,
    );
    await client.quit();
    const storedBytes = Number(chunkLengths);
    const peakGrowth = after.peak - before.rss;
    process.stdout.write(
      `upload of ${FILE_BYTES / MB} MB (${lines} lines): ${Math.round(uploadMs)} ms, ${((FILE_BYTES / MB / uploadMs) * 1000).toFixed(1)} MB/s; ` +
        `API RSS ${Math.round(before.rss / MB)} MB before, peak ${Math.round(after.peak / MB)} MB (+${Math.round(peakGrowth / MB)} MB); ` +
        `stored ${Math.round(storedBytes / 1024)} KB in Redis, ${Math.round(storedBytes / lines)} bytes per ~1 KB line\n`,
    );
    // The file never sits whole in the API (as a string it would take twice its bytes): the peak grows by less than it.
    expect(peakGrowth).toBeLessThan(FILE_BYTES);
    expect(storedBytes).toBeLessThan(FILE_BYTES / 3);

    // The quota (40 MB) has 8 MB left: the next upload is refused as it passes that, not at its end.
    const overQuota = await uploadGenerated(12 * MB);
    expect(overQuota.status).toBe(413);
    expect(String((overQuota.body['error'] as { message: string }).message)).toMatch(/quota/);
  });

  it('refuses a file past FILES_MAX_BYTES while it streams, keeping nothing of it', async () => {
    const before = (await (await fetch(`${small.baseUrl}/v1/files`)).json()) as { data: { id: string }[] };
    const tooLarge = await uploadGenerated(3 * MB, small.baseUrl);
    expect(tooLarge.status).toBe(413);
    expect(String((tooLarge.body['error'] as { message: string }).message)).toMatch(/at most 2097152 bytes/);
    const after = (await (await fetch(`${small.baseUrl}/v1/files`)).json()) as { data: { id: string }[] };
    expect(after.data).toHaveLength(before.data.length);
    const client = new Redis(redis.url);
    const dataKeys = await client.keys(`${env['QUEUE_PREFIX']}:file:*:data`);
    await client.quit();
    expect(dataKeys).toHaveLength(before.data.length);
  });
});
