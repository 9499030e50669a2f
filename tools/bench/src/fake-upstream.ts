import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A lean OpenAI-compatible upstream for benchmarks (no request recording). The model name steers it:
 * `bench?latency=1000&chunks=500&ttft=20`. Answers JSON, or SSE when `stream: true`; `tools=N` streams N parallel
 * tool calls instead of text, each with `chunks` argument fragments (arguments `{"part":[0,1,…]}`); `interval=250`
 * waits that many ms before each chunk after the first (a slow model: 240 chunks at 250 ms last a minute).
 */
interface Directives {
  latencyMs: number;
  chunks: number;
  ttftMs: number;
  tools: number;
  intervalMs: number;
}

function directives(model: string): Directives {
  const query = new URLSearchParams(model.includes('?') ? model.slice(model.indexOf('?') + 1) : '');
  const number = (name: string, fallback: number) => {
    const value = Number(query.get(name));
    return query.has(name) && Number.isFinite(value) ? value : fallback;
  };
  return {
    latencyMs: number('latency', 0),
    chunks: number('chunks', 8),
    ttftMs: number('ttft', 0),
    tools: number('tools', 0),
    intervalMs: number('interval', 0),
  };
}

const sleep = (ms: number) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

async function readBody(req: IncomingMessage): Promise<{ model?: string; stream?: boolean }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model?: string; stream?: boolean };
  } catch {
    return {};
  }
}

const usage = { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20, cost: 0.00001 };

/** The streamed chunks of `tools` parallel calls, one after the other as OpenAI sends them. */
function toolCallChunks(model: string, plan: Directives): string[] {
  const chunk = (delta: unknown) =>
    `data: {"id":"gen-bench","model":${JSON.stringify(model)},"choices":[{"index":0,"delta":{"tool_calls":[${JSON.stringify(delta)}]},"finish_reason":null}]}\n\n`;
  const out: string[] = [];
  for (let call = 0; call < plan.tools; call += 1) {
    out.push(chunk({ index: call, id: `call_bench_${call}`, type: 'function', function: { name: 'lookup', arguments: '{"part":[' } }));
    for (let index = 0; index < plan.chunks; index += 1)
      out.push(chunk({ index: call, function: { arguments: index < plan.chunks - 1 ? `${index},` : `${index}]}` } }));
  }
  return out;
}

/** Vector size of the bench's embeddings (text-embedding-3-small's). */
const EMBEDDING_DIMENSIONS = 1536;
/**
 * A few vectors made once, each already as the JSON text of its `embedding` value in both encodings: each input
 * gets one by its hash, and the answer is joined from those bytes (no JSON.stringify of ~820 KB per request), so the
 * upstream costs little beside the gateway (a real provider's CPU is not on this machine).
 */
const embeddingPool = Array.from({ length: 64 }, (_, seed) => {
  const vector = Float32Array.from({ length: EMBEDDING_DIMENSIONS }, (_, index) => Math.sin(seed * 7919 + index) / 40);
  return { floats: Buffer.from(JSON.stringify(Array.from(vector))), base64: Buffer.from(JSON.stringify(Buffer.from(vector.buffer).toString('base64'))) };
});
const hashOf = (text: string) => {
  let hash = 0;
  for (let index = 0; index < text.length; index += 1) hash = (hash * 31 + text.charCodeAt(index)) | 0;
  return Math.abs(hash);
};

/** OpenAI's `POST /embeddings`: one pooled vector per input, base64 or numbers as asked (the text JSON.stringify gives). */
function embeddings(res: ServerResponse, body: { model?: string; input?: unknown; encoding_format?: string }) {
  const inputs = Array.isArray(body.input) ? (body.input as unknown[]) : [body.input];
  const base64 = body.encoding_format === 'base64';
  const pieces: Buffer[] = [Buffer.from('{"object":"list","data":[')];
  inputs.forEach((input, index) => {
    const vector = embeddingPool[hashOf(String(input)) % embeddingPool.length]!;
    pieces.push(
      Buffer.from(`${index === 0 ? '' : ','}{"object":"embedding","index":${index},"embedding":`),
      base64 ? vector.base64 : vector.floats,
      Buffer.from('}'),
    );
  });
  const tokens = inputs.length * 8;
  const tokenUsage = { prompt_tokens: tokens, total_tokens: tokens, cost: tokens * 2e-8 };
  pieces.push(Buffer.from(`],"model":${JSON.stringify(body.model ?? 'bench')},"usage":${JSON.stringify(tokenUsage)}}`));
  const payload = Buffer.concat(pieces);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': payload.length });
  res.end(payload);
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const body = await readBody(req);
  if (req.url?.endsWith('/embeddings')) return embeddings(res, body as Parameters<typeof embeddings>[1]);
  const model = body.model ?? 'bench';
  const plan = directives(model);
  if (!body.stream) {
    await sleep(plan.latencyMs);
    const payload = JSON.stringify({
      id: 'gen-bench',
      model,
      object: 'chat.completion',
      created: 0,
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello from the bench upstream.' } }],
      usage,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(': OPENROUTER PROCESSING\n\n');
  await sleep(plan.ttftMs);
  const chunks =
    plan.tools > 0
      ? toolCallChunks(model, plan)
      : Array.from(
          { length: plan.chunks },
          (_, index) =>
            `data: {"id":"gen-bench","model":${JSON.stringify(model)},"choices":[{"index":0,"delta":{"content":"t${index} "},"finish_reason":null}]}\n\n`,
        );
  for (const [index, chunk] of chunks.entries()) {
    if (index > 0) await sleep(plan.intervalMs);
    if (res.destroyed) return;
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.write(
    `data: {"id":"gen-bench","model":${JSON.stringify(model)},"choices":[{"index":0,"delta":{},"finish_reason":"${plan.tools > 0 ? 'tool_calls' : 'stop'}"}],"usage":${JSON.stringify(usage)}}\n\n`,
  );
  res.end('data: [DONE]\n\n');
}

/** Runs the upstream in this process and prints its port on stdout. */
export async function serveFakeUpstream(): Promise<void> {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
}
