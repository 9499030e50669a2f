import pino, { type Logger } from 'pino';
import { createSecretScrubber } from './secret-scrubber';

/** Paths whose values never reach a log line. */
export const redactPaths: readonly string[] = [
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'token',
  '*.token',
  'authToken',
  '*.authToken',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  'cookie',
  '*.cookie',
  'password',
  '*.password',
  'apiKeys',
  '*.apiKeys',
  'api_key',
  '*.api_key',
  'secret',
  '*.secret',
];

/** Options of a process logger. */
export interface LoggerOptions {
  /** The app's name, put on every line. */
  name: string;
  /** pino level name. */
  level: string;
  /** Human-readable output through pino-pretty (development only). */
  pretty?: boolean;
  /** Secret values (API keys, the gateway token) removed from every line, wherever they appear. */
  secrets?: readonly (string | undefined)[];
}

export function createLogger(options: LoggerOptions): Logger {
  return pino({
    name: options.name,
    level: options.level,
    redact: { paths: [...redactPaths], censor: '[redacted]' },
    base: { app: options.name, pid: process.pid },
    hooks: { streamWrite: createSecretScrubber(options.secrets ?? []) },
    ...(options.pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}

export type { Logger };
