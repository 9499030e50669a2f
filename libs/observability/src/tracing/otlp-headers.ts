/**
 * OTEL_EXPORTER_OTLP_HEADERS as the specification writes it: `name=value` pairs separated by commas, values
 * URL-encoded, whitespace around each trimmed. A pair without `=` or with an empty name is left out.
 */
export function parseOtlpHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const separator = pair.indexOf('=');
    if (separator <= 0) continue;
    const name = pair.slice(0, separator).trim();
    if (!name) continue;
    const raw = pair.slice(separator + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // Not valid percent-encoding: the value as written.
    }
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

/** Where spans are POSTed: the traces endpoint as given, else the general endpoint with `/v1/traces` appended. */
export function otlpTracesUrl(endpoint: string | undefined, tracesEndpoint: string | undefined): string | undefined {
  if (tracesEndpoint) return tracesEndpoint;
  if (!endpoint) return undefined;
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}
