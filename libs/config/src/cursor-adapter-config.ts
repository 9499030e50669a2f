import { z } from 'zod';
import { ConfigError } from './config';

const csvArgs = z.string().transform((value) => value.split(/\s+/).filter((part) => part.length > 0));

/** The variables of apps/cursor-adapter (it needs none of the gateway's own). */
export const cursorAdapterEnvSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: z.stringbool().default(false),
  CURSOR_ADAPTER_PORT: z.coerce.number().int().min(0).max(65535).default(3210),
  CURSOR_ADAPTER_HOST: z.string().min(1).default('127.0.0.1'),
  CURSOR_AGENT_COMMAND: z.string().min(1).default('cursor-agent'),
  CURSOR_AGENT_ARGS: csvArgs.default(['--print', '--output-format', 'text']),
  CURSOR_AGENT_PROMPT_VIA: z.enum(['auto', 'argument', 'stdin']).default('auto'),
  CURSOR_AGENT_MAX_PROMPT_CHARS: z.coerce.number().int().positive().default(1_000_000),
  CURSOR_AGENT_TIMEOUT_MS: z.coerce.number().int().positive().default(300_000),
  CURSOR_AGENT_MAX_CONCURRENCY: z.coerce.number().int().positive().default(4),
  CURSOR_ADAPTER_TOKEN: z
    .string({ error: 'required: the bearer token the gateway sends (same value as its CURSOR_ADAPTER_TOKEN)' })
    .trim()
    .min(16, 'at least 16 characters'),
  CURSOR_ADAPTER_ALLOWED_HOSTS: z
    .string()
    .default('localhost,127.0.0.1,[::1]')
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim().toLowerCase())
        .filter((part) => part.length > 0),
    ),
  // The Cursor CLI reads it from the environment itself; read here so the agent's minimal environment carries it and the adapter's logs never show it.
  CURSOR_API_KEY: z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim())),
});

/** The frozen configuration of the Cursor Agent adapter app. */
export interface CursorAdapterConfig {
  readonly log: { readonly level: string; readonly pretty: boolean };
  readonly port: number;
  readonly host: string;
  /** The agent command (Cursor Agent CLI in headless print mode by default) and its fixed arguments. */
  readonly command: string;
  readonly args: readonly string[];
  /**
   * How the prompt reaches the command: `argument` (its last argument), `stdin`, or `auto`: an argument while it
   * fits the OS's limit on one argument, stdin beyond.
   */
  readonly promptVia: 'auto' | 'argument' | 'stdin';
  /** The longest prompt (characters) handed to the agent at all: longer ones are answered 413 before it runs. */
  readonly maxPromptChars: number;
  readonly timeoutMs: number;
  readonly maxConcurrency: number;
  /** The bearer token every request must carry (CURSOR_ADAPTER_TOKEN). */
  readonly token: string;
  /** Host header names (port ignored) the adapter answers: a DNS-rebinding page gets 421. */
  readonly allowedHosts: readonly string[];
  /** Cursor's key, the one secret the agent's minimal environment carries (CURSOR_API_KEY). */
  readonly cursorApiKey: string | undefined;
}

export function loadCursorAdapterConfig(environment: Record<string, string | undefined> = process.env): CursorAdapterConfig {
  const parsed = cursorAdapterEnvSchema.safeParse(environment);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  const env = parsed.data;
  return Object.freeze({
    log: Object.freeze({ level: env.LOG_LEVEL, pretty: env.LOG_PRETTY }),
    port: env.CURSOR_ADAPTER_PORT,
    host: env.CURSOR_ADAPTER_HOST,
    command: env.CURSOR_AGENT_COMMAND,
    args: Object.freeze([...env.CURSOR_AGENT_ARGS]),
    promptVia: env.CURSOR_AGENT_PROMPT_VIA,
    maxPromptChars: env.CURSOR_AGENT_MAX_PROMPT_CHARS,
    timeoutMs: env.CURSOR_AGENT_TIMEOUT_MS,
    maxConcurrency: env.CURSOR_AGENT_MAX_CONCURRENCY,
    token: env.CURSOR_ADAPTER_TOKEN,
    allowedHosts: Object.freeze([...env.CURSOR_ADAPTER_ALLOWED_HOSTS]),
    cursorApiKey: env.CURSOR_API_KEY,
  });
}
