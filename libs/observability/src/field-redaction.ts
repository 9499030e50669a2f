/**
 * Field names whose values never reach a log line, at any depth up to `maxDepth`: credentials in headers, keys and
 * tokens in options, passwords. Matched by shape, not a list of names (`openrouter_api_key`, `accessToken`,
 * `client_secret`, `x-api-key`, `set-cookie` all end like one): compared lower-cased with `-`, `_` and `.` dropped.
 * Values of known secrets are also scrubbed from every line by the secret scrubber; this catches secrets the process
 * was never told about (a caller's header, a nested option).
 */
const sensitiveEndings = ['key', 'apikeys', 'token', 'secret', 'secrets', 'password', 'passwd', 'authorization', 'cookie', 'credentials'];
/** Names that end like a secret but name none (`key` alone is a Redis key or a map key in our logs). */
const notSensitive: ReadonlySet<string> = new Set(['key', 'keys']);

/** Whether a field name looks like one that holds a secret. */
export function isSensitiveFieldName(name: string): boolean {
  const normalized = name.toLowerCase().replace(/[-_.]/g, '');
  return !notSensitive.has(normalized) && sensitiveEndings.some((ending) => normalized.endsWith(ending));
}

// Causes count as a level each: err → cause → cause → its headers → authorization is five levels.
const maxDepth = 6;

function isWalkable(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null || Array.isArray(value) || value instanceof Error;
}

/**
 * An error as a plain object: type, message, stack, its fields and its cause (pino's err serializer still reads such
 * an object as an error, appending its causes' messages and stacks).
 */
function errorAsObject(error: Error): Record<string, unknown> {
  return { ...error, type: error.name, message: error.message, stack: error.stack, ...(error.cause !== undefined ? { cause: error.cause } : {}) };
}

function redactValue(value: Record<string, unknown>, censor: string, depth: number): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  // An error's `cause` is not enumerable, yet pino's serializer prints it: walk it too.
  const keys = value instanceof Error && value.cause !== undefined ? [...new Set([...Object.keys(value), 'cause'])] : Object.keys(value);
  for (const key of keys) {
    const field = value[key];
    let replacement = field;
    if (isSensitiveFieldName(key)) replacement = field === undefined ? field : censor;
    else if (depth < maxDepth && isWalkable(field)) replacement = redactValue(field, censor, depth + 1);
    if (replacement === field) continue;
    if (!copy) {
      // Copy on the first change only: the caller's object is never modified, and a clean line allocates nothing.
      copy = Array.isArray(value) ? ([...value] as unknown as Record<string, unknown>) : value instanceof Error ? errorAsObject(value) : { ...value };
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
