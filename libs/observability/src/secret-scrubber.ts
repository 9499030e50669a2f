/** Secrets shorter than this are not scrubbed by value (too likely to match ordinary text). */
const minimumSecretLength = 8;

/**
 * Replaces every occurrence of the given secret values in a text. The logger runs each line through it, so a
 * key that reaches a log under a field name no redact path knows (an upstream error body echoing it, a stack
 * trace) is still removed.
 */
export function createSecretScrubber(secrets: readonly (string | undefined)[], censor = '[redacted]'): (text: string) => string {
  const values = [...new Set(secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length >= minimumSecretLength))];
  if (values.length === 0) return (text) => text;
  // Longest first, so a secret that contains another is replaced whole.
  values.sort((a, b) => b.length - a.length);
  return (text) => {
    let result = text;
    for (const value of values) {
      if (result.includes(value)) result = result.split(value).join(censor);
    }
    return result;
  };
}
