/** The command line of gateway-batch. */
export interface BatchCliArgs {
  input: string;
  output: string | undefined;
  baseUrl: string;
  token: string | undefined;
  pollMs: number;
  /** The batch's spending cap (USD). */
  maxCostUsd: number | undefined;
}

export const usage = `usage: gateway-batch <input.jsonl> [-o results.jsonl] [--base-url http://127.0.0.1:8080] [--token TOKEN] [--poll-ms 500] [--max-cost-usd 2.5]

Submits every line of the input as one batch, shows its progress on stderr, and writes the results to the
output file (stdout when none is given). An OpenAI batch input file (lines {custom_id, method, url, body} for
/v1/chat/completions or /v1/responses) is uploaded as a file (POST /v1/files) and its batch made from it; the
output is OpenAI's: the batch's output file, then its error file. A file of the gateway's chat requests is sent as
a native batch; the output is one JSON line per request (custom_id, job_id, status, result or error). With
--max-cost-usd, requests past that spend are not run (they end budget_exceeded).`;

/** Parses argv (without node and the script); throws a message fit for the user. */
export function parseArgs(argv: readonly string[]): BatchCliArgs {
  const args: BatchCliArgs = { input: '', output: undefined, baseUrl: 'http://127.0.0.1:8080', token: undefined, pollMs: 500, maxCostUsd: undefined };
  const value = (index: number, flag: string): string => {
    const next = argv[index + 1];
    if (next === undefined || next.startsWith('-')) throw new Error(`${flag} needs a value`);
    return next;
  };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    switch (arg) {
      case '-o':
      case '--output':
        args.output = value(index++, arg);
        break;
      case '--base-url':
        args.baseUrl = value(index++, arg);
        break;
      case '--token':
        args.token = value(index++, arg);
        break;
      case '--poll-ms': {
        const ms = Number(value(index++, arg));
        if (!Number.isInteger(ms) || ms < 10) throw new Error('--poll-ms must be an integer of at least 10');
        args.pollMs = ms;
        break;
      }
      case '--max-cost-usd': {
        const usd = Number(value(index++, arg));
        if (!Number.isFinite(usd) || usd <= 0) throw new Error('--max-cost-usd must be a positive number of USD');
        args.maxCostUsd = usd;
        break;
      }
      default:
        if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
        if (args.input) throw new Error(`one input file only (got ${args.input} and ${arg})`);
        args.input = arg;
    }
  }
  if (!args.input) throw new Error('no input file');
  return args;
}
