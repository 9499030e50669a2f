import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A lean OpenAI-compatible upstream for benchmarks (no request recording). The model name steers it:
 * `bench?latency=1000&chunks=500&ttft=20`. Answers JSON, or SSE when `stream: true`.
 */
interface Directives {
  latencyMs: number;
  chunks: number;
  ttftMs: number;
}

function directives(model: string): Directives {
  const query = new URLSearchParams(model.includes('?') ? model.slice(model.indexOf('?') + 1) : '');
  const number = (name: string, fallback: number) => {
    const value = Number(query.get(name));
    return query.has(name) && Number.isFinite(value) ? value : fallback;
  };
  return { latencyMs: number('latency', 0), chunks: number('chunks', 8), ttftMs: number('ttft', 0) };
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

async function handle(req: IncomingMessage, res: ServerResponse) {
  const body = await readBody(req);
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
  for (let index = 0; index < plan.chunks; index += 1) {
    const chunk = `data: {"id":"gen-bench","model":${JSON.stringify(model)},"choices":[{"index":0,"delta":{"content":"t${index} "},"finish_reason":null}]}\n\n`;
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.write(`data: {"id":"gen-bench","model":${JSON.stringify(model)},"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":${JSON.stringify(usage)}}\n\n`);
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
