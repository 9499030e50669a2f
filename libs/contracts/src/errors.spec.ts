import { fromJobError } from './error-catalogue';
import { GatewayError, errorTypeSchema, httpStatusByErrorType, toJobError } from './errors';

describe('error table', () => {
  it('has an HTTP status for every error type', () => {
    for (const type of errorTypeSchema.options) {
      expect(httpStatusByErrorType[type]).toBeGreaterThanOrEqual(400);
    }
    expect(Object.keys(httpStatusByErrorType).sort()).toEqual([...errorTypeSchema.options].sort());
  });

  it.each([
    ['invalid_request', 400],
    ['unauthorized', 401],
    ['budget_exceeded', 402],
    ['not_found', 404],
    ['payload_too_large', 413],
    ['rate_limited', 429],
    ['upstream_error', 502],
    ['unavailable', 503],
    ['timeout', 504],
  ] as const)('maps %s to %i as the spec says', (type, status) => {
    expect(new GatewayError(type, 'x').status).toBe(status);
  });
});

describe('GatewayError', () => {
  it('renders the envelope without cause or stack', () => {
    const error = new GatewayError('upstream_error', 'all providers failed', {
      cause: new Error('secret sk-123'),
      attempts: [{ provider: 'openrouter', status: 503, reason: 'HTTP 503' }],
    });
    const body = error.toBody('req-1');
    expect(body).toEqual({
      error: {
        type: 'upstream_error',
        message: 'all providers failed',
        request_id: 'req-1',
        attempts: [{ provider: 'openrouter', status: 503, reason: 'HTTP 503' }],
      },
    });
    expect(JSON.stringify(body)).not.toContain('sk-123');
  });

  it('survives the trip through the queue', () => {
    const original = new GatewayError('rate_limited', 'slow down', { retryAfterSeconds: 3 });
    const copy = fromJobError(JSON.parse(JSON.stringify(toJobError(original))));
    expect(copy).toBeInstanceOf(GatewayError);
    expect(copy.type).toBe('rate_limited');
    expect(copy.message).toBe('slow down');
    expect(copy.details.retryAfterSeconds).toBe(3);
  });
});
