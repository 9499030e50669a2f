import { createWriteStream, readFileSync } from 'node:fs';
import type { BatchView } from '@gateway/contracts';
import { GatewayClientError, GatewayLLMClient } from '@gateway/client';
import { parseArgs, usage, type BatchCliArgs } from './args';
import { openAiFileEndpoint, submitOpenAiFile, writeOutputFiles } from './openai-file';
import { progressLine } from './progress';

/** Polls a batch until every request has ended, drawing its progress on stderr. */
async function waitForBatch(client: GatewayLLMClient, batchId: string, args: BatchCliArgs): Promise<BatchView> {
  const interactive = process.stderr.isTTY === true;
  for (;;) {
    const view = await client.getBatch(batchId);
    const line = progressLine(view.counts, view.total);
    process.stderr.write(interactive ? `\r${line}` : `${line}\n`);
    if (view.done) {
      if (interactive) process.stderr.write('\n');
      return view;
    }
    await new Promise((resolve) => setTimeout(resolve, args.pollMs));
  }
}

async function run(argv: readonly string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const args = parseArgs(argv);
  const jsonl = readFileSync(args.input, 'utf8');
  const client = new GatewayLLMClient({ baseUrl: args.baseUrl, ...(args.token ? { token: args.token } : {}), retry: { maxRetries: 5 } });
  // OpenAI's batch input file: uploaded as a file, its batch made from it, OpenAI's output file written.
  const endpoint = openAiFileEndpoint(jsonl);
  let batchId: string;
  if (endpoint) {
    const created = await submitOpenAiFile(client, args.input, endpoint, args.maxCostUsd);
    batchId = created.id;
    process.stderr.write(`batch ${batchId}: ${created.total} requests enqueued from ${created.input_file_id}\n`);
  } else {
    const accepted = await client.submitBatch(jsonl, args.maxCostUsd !== undefined ? { maxCostUsd: args.maxCostUsd } : {});
    batchId = accepted.batch_id;
    process.stderr.write(`batch ${batchId}: ${accepted.total} requests enqueued\n`);
  }
  const ended = await waitForBatch(client, batchId, args);
  const out = args.output ? createWriteStream(args.output) : process.stdout;
  if (endpoint) await writeOutputFiles(client, ended, out);
  else {
    const final = await client.getBatch(batchId, { results: true });
    for (const result of final.results ?? []) out.write(`${JSON.stringify(result)}\n`);
  }
  if (out !== process.stdout) await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  process.stderr.write(
    `done: ${Object.entries(ended.counts)
      .filter(([, count]) => count > 0)
      .map(([status, count]) => `${status} ${count}`)
      .join(', ')}${args.output ? ` → ${args.output}` : ''}\n`,
  );
  return (ended.counts['completed'] ?? 0) === ended.total ? 0 : 2;
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
