import { z } from 'zod';

/** The zod schemas the settings of several variables share (each parses one environment string). */
export const port = z.coerce.number().int().min(0).max(65535);
export const positiveInt = z.coerce.number().int().positive();
export const nonNegativeInt = z.coerce.number().int().nonnegative();
export const nonNegativeNumber = z.coerce.number().nonnegative();
export const url = z.url();
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
/** Unset, empty or only whitespace: none. */
export const optionalSecret = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
/** A comma-separated list, each item trimmed, empty items dropped. */
export const csv = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  );
/** Unset or empty: none; else a URL. */
export const optionalUrl = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()))
  .pipe(z.url().optional());
/** The OTLP transports the gateway exports over (gRPC is not one). */
export const otlpProtocol = z.enum(['http/protobuf', 'http/json'], { error: 'must be http/protobuf or http/json (gRPC is not supported)' });
/** OTEL_TRACES_SAMPLER's standard values. */
export const traceSampler = z.enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']);
