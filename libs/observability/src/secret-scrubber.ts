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
 * The base64 text that spells `bytes` wherever they sit in a longer encoded value (`Basic base64(user:key)`): for each
 * of the three alignments, the characters that depend on these bytes alone (the first and last may mix in their
 * neighbours' bits, so they are left out: at most two bytes of the secret stay readable at each end).
 */
function base64Cores(bytes: Buffer, encoding: 'base64' | 'base64url'): string[] {
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString(encoding);
    return encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6));
  });
}

/** A secret as an upstream may echo it: as it is, URL-encoded, hex, base64 and base64url (at any alignment). */
function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const hex = bytes.toString('hex');
  return [secret, encodeURIComponent(secret), hex, hex.toUpperCase(), ...base64Cores(bytes, 'base64'), ...base64Cores(bytes, 'base64url')];
}

/**
 * Replaces every occurrence of the given secret values in a text, in clear or encoded (URL-encoded, hex, base64,
 * base64url), and every URL's password. The logger runs each line through it, so a key that reaches a log under a
 * field name no redact path knows (an upstream error body echoing it, a stack trace) is still removed; the worker runs
 * job errors through it before they reach a client.
 */
export function createSecretScrubber(secrets: readonly (string | undefined)[], censor = '[redacted]'): (text: string) => string {
  const values = [
    ...new Set(
      secrets
        .filter((secret): secret is string => typeof secret === 'string' && secret.length >= minimumSecretLength)
        .flatMap((secret) => encodedForms(secret))
        .filter((form) => form.length >= minimumSecretLength),
    ),
  ];
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
