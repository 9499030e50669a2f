import pino, { type DestinationStream, type Logger } from 'pino';
import { redactFields } from './field-redaction';
import { createSecretScrubber } from './secret-scrubber';

export interface LoggerOptions {
  /** The app's name, put on every line. */
  name: string;
  /** pino level name. */
  level: string;
  /** Human-readable output through pino-pretty (development only). */
  pretty?: boolean;
  /** Secret values (API keys, the gateway token) removed from every line, wherever they appear. */
  secrets?: readonly (string | undefined)[];
  /**
   * Buffer lines and write them at least this often (and whenever 4 KiB are waiting): one write per batch instead
   * of one per line, which is most of a request's logging cost. Lines still buffered are written on exit; a
   * SIGKILL loses at most this interval's lines. 0 or absent: every line is written at once.
   */
  flushIntervalMs?: number;
  /** Where lines go instead of stdout (tests). */
  destination?: DestinationStream;
}

/** Bytes of buffered lines that trigger a write before the interval is up. */
const LOG_BUFFER_BYTES = 4096;

export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    name: options.name,
    level: options.level,
    // One pass over each line's keys (pino's path-based redact cost 3-4 % of a process's CPU under load). Child
    // bindings (ids the code sets) are not walked: pino gives children no bindings formatter.
    formatters: { log: (object: Record<string, unknown>) => redactFields(object) },
    base: { app: options.name, pid: process.pid },
    hooks: { streamWrite: createSecretScrubber(options.secrets ?? []) },
  };
  if (options.destination) return pino(settings, options.destination);
  if (options.pretty) return pino({ ...settings, transport: { target: 'pino-pretty', options: { colorize: true } } });
  const interval = options.flushIntervalMs ?? 0;
  if (interval <= 0) return pino(settings);
  // pino registers this destination to be flushed synchronously on exit.
  const destination = pino.destination({ dest: process.stdout.fd, sync: false, minLength: LOG_BUFFER_BYTES });
  setInterval(() => destination.flush(), interval).unref();
  return pino(settings, destination);
}

export type { Logger };
