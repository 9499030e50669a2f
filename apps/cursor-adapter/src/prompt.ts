import { contentText, type ChatMessage } from '@gateway/contracts';

const labels = { system: 'System', user: 'User', assistant: 'Assistant', tool: 'Tool result' } as const;

/**
 * The agent CLI takes one prompt: a lone user message as it is, a conversation as labelled turns
 * (the system message first), so the agent sees who said what.
 */
export function toPrompt(messages: readonly ChatMessage[]): string {
  if (messages.length === 1 && messages[0]!.role === 'user') return contentText(messages[0]!.content);
  const ordered = [...messages.filter((message) => message.role === 'system'), ...messages.filter((message) => message.role !== 'system')];
  return ordered.map((message) => `${labels[message.role]}:\n${contentText(message.content)}`).join('\n\n');
}

/** Models that mean "let the agent choose": no --model flag. */
const agentChoice = new Set(['', 'auto', 'default']);

/**
 * The longest prompt passed as an argument: Linux refuses one argument over 128 KiB (`spawn` fails with E2BIG),
 * macOS a whole command line over 1 MiB; well below both, so `auto` never meets either.
 */
export const ARGUMENT_MAX_BYTES = 64 * 1024;

/** Why a prompt cannot be the command's argument: too long for the OS, or holding a NUL (which ends a C string). */
export function argumentProblem(prompt: string): 'too_long' | 'nul' | undefined {
  if (Buffer.byteLength(prompt, 'utf8') > ARGUMENT_MAX_BYTES) return 'too_long';
  if (prompt.includes('\u0000')) return 'nul';
  return undefined;
}

/**
 * How this prompt reaches the command: `auto` passes it as the argument while it can be one and on stdin
 * beyond (the agent CLI reads its prompt from stdin when none follows its options). Under `argument` a prompt
 * that cannot be one is the request's fault, answered before the command runs.
 */
export function promptChannel(prompt: string, promptVia: 'auto' | 'argument' | 'stdin'): { via: 'argument' | 'stdin' } | { refused: 'too_long' | 'nul' } {
  if (promptVia === 'stdin') return { via: 'stdin' };
  const problem = argumentProblem(prompt);
  if (problem === undefined) return { via: 'argument' };
  return promptVia === 'auto' ? { via: 'stdin' } : { refused: problem };
}

/**
 * The command line: fixed arguments, `--model <model>` when one is named, and the prompt last after `--` (unless
 * it goes on stdin), so a prompt such as `--force` is never read as an option.
 */
export function toArguments(fixed: readonly string[], model: string | undefined, prompt: string, promptVia: 'argument' | 'stdin'): string[] {
  const args = [...fixed];
  if (model !== undefined && !agentChoice.has(model.trim())) args.push('--model', model.trim());
  if (promptVia === 'argument') args.push('--', prompt);
  return args;
}

/** The CLI reports no token counts: about four characters a token, marked as an estimate in the contract. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The agent's minimal environment: PATH and HOME from the adapter's, and Cursor's key; no other secret leaks in. */
export function agentEnvironment(parent: NodeJS.ProcessEnv, cursorApiKey: string | undefined): NodeJS.ProcessEnv {
  return {
    ...(parent['PATH'] !== undefined ? { PATH: parent['PATH'] } : {}),
    ...(parent['HOME'] !== undefined ? { HOME: parent['HOME'] } : {}),
    ...(cursorApiKey !== undefined ? { CURSOR_API_KEY: cursorApiKey } : {}),
  };
}
