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
