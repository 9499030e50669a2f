/** The URLs of OpenAI batch input lines that ask for the Responses API. */
const responsesUrls = new Set(['/v1/responses', '/responses']);

/**
 * The line numbers (1-based) of JSONL lines that are OpenAI batch lines for `/v1/responses`. Batches do not take
 * them yet (they run chat requests only, until batches read uploaded files): the CLI says so before submitting,
 * instead of the gateway refusing the line's `url`.
 */
export function responsesLineNumbers(jsonl: string): number[] {
  const numbers: number[] = [];
  for (const [index, line] of jsonl.split('\n').entries()) {
    if (!line.includes('responses')) continue;
    try {
      const parsed = JSON.parse(line) as { url?: unknown };
      if (typeof parsed.url === 'string' && responsesUrls.has(parsed.url)) numbers.push(index + 1);
    } catch {
      // Not JSON: the gateway names the line.
    }
  }
  return numbers;
}

export const responsesLinesRefused = (numbers: readonly number[]) =>
  `line${numbers.length > 1 ? 's' : ''} ${numbers.slice(0, 5).join(', ')}${numbers.length > 5 ? ', …' : ''}: batches do not take /v1/responses lines yet ` +
  '(only chat requests and /v1/chat/completions lines); send each as POST /v1/responses with "background": true, ' +
  'or as a /v1/chat/completions line';
