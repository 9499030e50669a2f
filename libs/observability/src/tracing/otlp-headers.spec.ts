import { otlpTracesUrl, parseOtlpHeaders } from './otlp-headers';

describe('OTLP exporter settings', () => {
  it('reads OTEL_EXPORTER_OTLP_HEADERS: comma-separated pairs, values URL-decoded, names lower-cased', () => {
    expect(parseOtlpHeaders('Authorization=Basic%20abc%3D%3D, x-tenant = acme ,bad,=nameless')).toEqual({ authorization: 'Basic abc==', 'x-tenant': 'acme' });
    expect(parseOtlpHeaders('x-odd=%E0%A4%A')).toEqual({ 'x-odd': '%E0%A4%A' });
    expect(parseOtlpHeaders(undefined)).toEqual({});
  });

  it('posts to the traces endpoint as given, else to /v1/traces under the general one', () => {
    expect(otlpTracesUrl('http://collector:4318', undefined)).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl('http://collector:4318/', undefined)).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl('http://collector:4318', 'http://other:4318/custom')).toBe('http://other:4318/custom');
    expect(otlpTracesUrl(undefined, undefined)).toBeUndefined();
  });
});
