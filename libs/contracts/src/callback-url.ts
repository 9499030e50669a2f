/** One JOB_CALLBACK_ALLOWED_HOSTS entry as a URL host: its name (lowercase, IPv6 in brackets) and port, if given. */
export interface CallbackHostEntry {
  host: string;
  /** Absent: only the standard ports 80 and 443. */
  port: string | undefined;
}

/** The `host` / `host:port` / `[v6]:port` entries of the list; CIDR ranges (`10.0.0.0/8`) are not hosts. */
export function callbackHostEntries(allowedHosts: readonly string[]): CallbackHostEntry[] {
  return allowedHosts
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '' && !entry.includes('/'))
    .map((entry) => {
      const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
      return match ? { host: match[1]!, port: match[2] } : { host: entry, port: undefined };
    });
}

/**
 * Checks a job's callback_url: http or https only, and only to a host the operator allowed
 * (JOB_CALLBACK_ALLOWED_HOSTS): a `host` entry allows ports 80 and 443 only, a `host:port` entry that port.
 * Returns why not, or undefined when allowed. (The worker also checks the addresses the host resolves to.)
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
  const allowed = callbackHostEntries(allowedHosts).some(
    (entry) => entry.host === host && (entry.port === undefined ? port === '80' || port === '443' : entry.port === port),
  );
  if (!allowed) return `callback_url host ${url.host} is not in the allowed callback hosts`;
  return undefined;
}
