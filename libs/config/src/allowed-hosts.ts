/** Host names a loopback listener answers to by default. */
export const loopbackHostNames: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** Whether a listen address is a loopback one (only this machine can connect). */
export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The Host header names the API accepts (compared lower-case, port ignored; empty: any). Configured names win. A
 * loopback listener otherwise accepts only loopback names: a web page that rebinds its own DNS name to 127.0.0.1
 * reaches the API with its name in Host, and is refused. On another address the operator's names are unknown, so
 * any Host passes (set API_ALLOWED_HOSTS there).
 */
export function allowedHostNames(configured: readonly string[], listenHost: string): readonly string[] {
  if (configured.length > 0) return configured.map((name) => name.toLowerCase());
  if (isLoopbackAddress(listenHost))
    return [...new Set([...loopbackHostNames, listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost])];
  return [];
}
