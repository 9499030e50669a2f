import type { Request } from 'express';
import type { z } from 'zod';
import { invalidRequest } from '@gateway/contracts';

/**
 * A header that carries an identifier (X-Agent-Id), validated like the body field it stands for: such values name
 * Redis keys and log fields, so a header must not pass what the body schema refuses. Absent: undefined; invalid:
 * `invalid_request` naming the header.
 */
export function headerField<T extends z.ZodType<string>>(req: Request, name: string, schema: T): z.infer<T> | undefined {
  const value = req.get(name);
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw invalidRequest(`header ${name}: ${parsed.error.issues[0]?.message ?? 'invalid value'}`);
}
