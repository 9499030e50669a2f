import type { z } from 'zod';
import { bodyNotAnObject, invalidRequest } from '@gateway/contracts';

/** Parses a request body, or throws `invalid_request` naming the first wrong fields. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw bodyNotAnObject();
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`);
  throw invalidRequest(issues);
}

/**
 * Parses a query string's parameters, or throws `invalid_request` naming the first wrong ones; a parameter given
 * twice (it arrives as an array) is refused rather than one of its values picked.
 */
export function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, unknown>): z.infer<T> {
  const repeated = Object.entries(query).find(([, value]) => typeof value !== 'string');
  if (repeated) throw invalidRequest(`${repeated[0]}: give it once`);
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  throw invalidRequest(parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(query)'}: ${issue.message}`));
}
