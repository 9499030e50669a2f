/**
 * Field names whose values never reach a log line, at any depth up to `maxDepth` (compared lowercased): credentials
 * in headers, keys and tokens in options, passwords. Values of known secrets are also scrubbed from every line by
 * the secret scrubber; this catches secrets the process was never told about (a caller's header, a nested option).
 */
const sensitiveFieldNames: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'apikey',
  'apikeys',
  'api_key',
  'token',
  'authtoken',
  'password',
  'secret',
]);

const maxDepth = 4;

function isWalkable(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null || Array.isArray(value) || value instanceof Error;
}

function redactValue(value: Record<string, unknown>, censor: string, depth: number): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const field = value[key];
    let replacement = field;
    if (sensitiveFieldNames.has(key.toLowerCase())) replacement = field === undefined ? field : censor;
    else if (depth < maxDepth && isWalkable(field)) replacement = redactValue(field, censor, depth + 1);
    if (replacement === field) continue;
    if (!copy) {
      // Copy on the first change only: the caller's object is never modified, and a clean line allocates nothing.
      copy = Array.isArray(value) ? ([...value] as unknown as Record<string, unknown>) : value instanceof Error ? { ...value, type: value.name, message: value.message, stack: value.stack } : { ...value };
    }
    copy[key] = replacement;
  }
  return copy ?? value;
}

/**
 * A log object with every sensitive field's value replaced by `censor`, nested objects, arrays and errors included
 * (an error that carries one becomes a plain object with its type, message and stack). The same object comes back
 * when nothing needed hiding. One pass over the object's keys, whatever the number of names.
 */
export function redactFields<T extends Record<string, unknown>>(object: T, censor = '[redacted]'): T {
  return redactValue(object, censor, 1) as T;
}
