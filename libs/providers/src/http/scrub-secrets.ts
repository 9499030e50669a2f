/** Header values shorter than this are not secrets worth scrubbing (content types, versions). */
const minimumSecretLength = 8;

/**
 * Removes from an upstream's text every credential the gateway sent it in the request headers (the value of
 * `Authorization: Bearer <key>` and `x-api-key`-style headers): upstream error bodies sometimes echo the key, and
 * their text travels into job errors and client answers (`attempts[].reason`).
 */
export function scrubHeaderSecrets(text: string, headers: Record<string, string>): string {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (!/authorization|key|token|secret/i.test(name)) continue;
    const bare = value.replace(/^(bearer|basic|token)\s+/i, '');
    for (const secret of [value, bare]) if (secret.length >= minimumSecretLength) secrets.add(secret);
  }
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) result = result.split(secret).join('[redacted]');
  return result;
}
