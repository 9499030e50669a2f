import { upstreamHttpError } from './upstream-error';

describe('upstreamHttpError: who caused the failure', () => {
  it.each([
    [400, 'bad field'],
    [404, 'no such model'],
    [422, 'unprocessable'],
  ])('HTTP %i is the caller’s request: invalid_request, no failover', (status, message) => {
    expect(upstreamHttpError('openrouter', status, message)).toMatchObject({ type: 'invalid_request', details: { recovery: 'final', upstreamStatus: status } });
  });

  it.each([
    [413, 'payload_too_large', 'request entity too large'],
    [403, 'invalid_request', 'meta-llama/llama-guard requires moderation on OpenRouter. Your input was flagged for "harassment"'],
    [402, 'invalid_request', 'This request requires more credits, or fewer max_tokens. You requested up to 8192 tokens, but can only afford 100.'],
    [429, 'rate_limited', 'google/gemma-2-9b-it:free is temporarily rate-limited upstream. Please retry shortly.'],
  ])('HTTP %i caused by the request or one model is %s: fails over, never counts against the provider (failover-uncounted)', (status, type, message) => {
    const error = upstreamHttpError('openrouter', status, message, 30);
    expect(error).toMatchObject({ type, details: { recovery: 'failover-uncounted', upstreamStatus: status } });
  });

  it.each([
    [401, 'No auth credentials found'],
    [402, 'Insufficient credits. Add more using https://openrouter.ai/credits'],
    [403, 'Key is disabled'],
    [429, 'Rate limit exceeded'],
    [503, 'overloaded'],
  ])('HTTP %i of the gateway’s key or the provider (%s) is a retryable failure that counts', (status, message) => {
    expect(upstreamHttpError('openrouter', status, message, 5)).toMatchObject({
      type: 'upstream_error',
      details: { recovery: 'failover', upstreamStatus: status },
    });
    expect(upstreamHttpError('openrouter', status, message).details.recovery).toBe('failover');
  });

  it('reads a model-limited 429 only from OpenRouter (a direct vendor API’s 429 is the key’s)', () => {
    expect(upstreamHttpError('openai', 429, 'temporarily rate-limited upstream').type).toBe('upstream_error');
  });
});
