import type { Request } from 'express';
import { invalidRequest } from '@gateway/contracts';

/** A non-negative integer query parameter, or `fallback` when absent; 400 naming it when not one. */
export function intQuery(req: Request, name: string, fallback: number, max: number): number {
  const raw = req.query[name];
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value > max) throw invalidRequest(`${name}: an integer from 0 to ${max}`);
  return value;
}

/** Room around a request in a batch line (`{"custom_id": <up to 256 characters, escaped>, "method", "url", "body"}`). */
export const BATCH_LINE_ENVELOPE_CHARS = 4096;
