import { z } from 'zod';
import { deepFreeze, environmentSchemaOf, environmentSource, readSettings, setting, type SettingsOf } from './settings';
import { logLevel, optionalSecret, port, positiveInt } from './value-schemas';

const csvArgs = z.string().transform((value) => value.split(/\s+/).filter((part) => part.length > 0));

/** Every setting of apps/cursor-adapter (it needs none of the gateway's own), as configShape is the gateway's. */
export const cursorAdapterShape = {
  log: {
    level: setting('LOG_LEVEL', logLevel),
    pretty: setting('LOG_PRETTY', z.stringbool().default(false)),
  },
  port: setting('CURSOR_ADAPTER_PORT', port.default(3210)),
  host: setting('CURSOR_ADAPTER_HOST', z.string().min(1).default('127.0.0.1')),
  /** The agent command (Cursor Agent CLI in headless print mode by default). */
  command: setting('CURSOR_AGENT_COMMAND', z.string().min(1).default('cursor-agent')),
  /** The command's fixed arguments. */
  args: setting('CURSOR_AGENT_ARGS', csvArgs.default(['--print', '--output-format', 'text'])),
  /**
   * How the prompt reaches the command: `argument` (its last argument), `stdin`, or `auto`: an argument while it
   * fits the OS's limit on one argument, stdin beyond.
   */
  promptVia: setting('CURSOR_AGENT_PROMPT_VIA', z.enum(['auto', 'argument', 'stdin']).default('auto')),
  /** The longest prompt (characters) handed to the agent at all: longer ones are answered 413 before it runs. */
  maxPromptChars: setting('CURSOR_AGENT_MAX_PROMPT_CHARS', positiveInt.default(1_000_000)),
  timeoutMs: setting('CURSOR_AGENT_TIMEOUT_MS', positiveInt.default(300_000)),
  maxConcurrency: setting('CURSOR_AGENT_MAX_CONCURRENCY', positiveInt.default(4)),
  /** The bearer token every request must carry. */
  token: setting(
    'CURSOR_ADAPTER_TOKEN',
    z.string({ error: 'required: the bearer token the gateway sends (same value as its CURSOR_ADAPTER_TOKEN)' }).trim().min(16, 'at least 16 characters'),
  ),
  /** Host header names (port ignored) the adapter answers: a DNS-rebinding page gets 421. */
  allowedHosts: setting(
    'CURSOR_ADAPTER_ALLOWED_HOSTS',
    z
      .string()
      .default('localhost,127.0.0.1,[::1]')
      .transform((value) =>
        value
          .split(',')
          .map((part) => part.trim().toLowerCase())
          .filter((part) => part.length > 0),
      ),
  ),
  /**
   * Cursor's key, the one secret the agent's minimal environment carries. The Cursor CLI reads it from the
   * environment itself; read here so the adapter's logs never show it.
   */
  cursorApiKey: setting('CURSOR_API_KEY', optionalSecret),
};

/** The variables of apps/cursor-adapter: the flat view of cursorAdapterShape. */
export const cursorAdapterEnvSchema = environmentSchemaOf(cursorAdapterShape);

/** The frozen configuration of the Cursor Agent adapter app. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, so that messages say its name
export interface CursorAdapterConfig extends SettingsOf<typeof cursorAdapterShape> {}

export function loadCursorAdapterConfig(environment: Record<string, string | undefined> = process.env): CursorAdapterConfig {
  return deepFreeze(readSettings(cursorAdapterShape, cursorAdapterEnvSchema, environmentSource(environment)));
}
