import { createWriteStream, readFileSync } from 'node:fs';
import { GatewayClientError, GatewayLLMClient } from '@gateway/client';
import { parseArgs, usage } from './args';
import { progressLine } from './progress';
import { responsesLineNumbers, responsesLinesRefused } from './responses-lines';

async function run(argv: readonly string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const args = parseArgs(argv);
  const jsonl = readFileSync(args.input, 'utf8');
  const responsesLines = responsesLineNumbers(jsonl);
  if (responsesLines.length > 0) throw new Error(responsesLinesRefused(responsesLines));
  const client = new GatewayLLMClient({ baseUrl: args.baseUrl, ...(args.token ? { token: args.token } : {}), retry: { maxRetries: 5 } });
  const accepted = await client.submitBatch(jsonl, args.maxCostUsd !== undefined ? { maxCostUsd: args.maxCostUsd } : {});
  process.stderr.write(`batch ${accepted.batch_id}: ${accepted.total} requests enqueued\n`);
  const interactive = process.stderr.isTTY === true;
  for (;;) {
    const view = await client.getBatch(accepted.batch_id);
    const line = progressLine(view.counts, view.total);
    process.stderr.write(interactive ? `\r${line}` : `${line}\n`);
    if (view.done) break;
    await new Promise((resolve) => setTimeout(resolve, args.pollMs));
  }
  if (interactive) process.stderr.write('\n');
  const final = await client.getBatch(accepted.batch_id, { results: true });
  const out = args.output ? createWriteStream(args.output) : process.stdout;
  for (const result of final.results ?? []) out.write(`${JSON.stringify(result)}\n`);
  if (out !== process.stdout) await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  process.stderr.write(
    `done: ${Object.entries(final.counts)
      .filter(([, count]) => count > 0)
      .map(([status, count]) => `${status} ${count}`)
      .join(', ')}${args.output ? ` → ${args.output}` : ''}\n`,
  );
  return (final.counts['completed'] ?? 0) === final.total ? 0 : 2;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message =
      error instanceof GatewayClientError ? `${error.type} (${error.status}): ${error.message}` : error instanceof Error ? error.message : String(error);
    process.stderr.write(`gateway-batch: ${message}\n`);
    if (!(error instanceof GatewayClientError)) process.stderr.write(`${usage}\n`);
    process.exit(1);
  },
);
