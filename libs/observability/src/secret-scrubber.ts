/** Secrets shorter than this are not scrubbed by value (too likely to match ordinary text). */
const minimumSecretLength = 8;

// `scheme://user:password@` (redis://, https://, amqp://…): the password part, up to the `@` that ends the userinfo.
const urlPassword = /([a-z][a-z0-9+.-]*:\/\/[^\s:@/"'\\]*:)[^\s@/"'\\]+@/gi;

/**
 * Replaces the password of every URL's userinfo (`redis://user:pass@host` → `redis://user:[redacted]@host`): a
 * connection URL in an error message or a config dump is logged as text, under no field name anyone redacts.
 */
export function scrubUrlPasswords(text: string, censor = '[redacted]'): string {
  if (!text.includes('://') || !text.includes('@')) return text;
  return text.replace(urlPassword, `$1${censor}@`);
}

/**
 * Replaces every occurrence of the given secret values in a text, and every URL's password. The logger runs each
 * line through it, so a key that reaches a log under a field name no redact path knows (an upstream error body
 * echoing it, a stack trace) is still removed.
 */
export function createSecretScrubber(secrets: readonly (string | undefined)[], censor = '[redacted]'): (text: string) => string {
  const values = [...new Set(secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length >= minimumSecretLength))];
  if (values.length === 0) return (text) => scrubUrlPasswords(text, censor);
  // Longest first, so a secret that contains another is replaced whole.
  values.sort((a, b) => b.length - a.length);
  return (text) => {
    let result = text;
    for (const value of values) {
      if (result.includes(value)) result = result.split(value).join(censor);
    }
    return scrubUrlPasswords(result, censor);
  };
}
