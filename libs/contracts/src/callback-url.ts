/**
 * Checks a job's callback_url: http or https only, and only to a host the operator allowed
 * (JOB_CALLBACK_ALLOWED_HOSTS: `host` or `host:port` entries). Returns why not, or undefined when allowed.
 */
export function callbackUrlProblem(raw: string, allowedHosts: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'callback_url is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'callback_url must be http or https';
  if (url.username || url.password) return 'callback_url must not carry credentials';
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const allowed = allowedHosts.some((entry) => {
    const normalised = entry.trim().toLowerCase();
    return normalised === host || normalised === `${host}:${port}`;
  });
  if (!allowed) return `callback_url host ${url.host} is not in the allowed callback hosts`;
  return undefined;
}
