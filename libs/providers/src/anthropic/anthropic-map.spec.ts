import { anthropicError, mapAnthropicStopReason, toAnthropicRequest } from './anthropic-map';

describe('toAnthropicRequest', () => {
  it('moves every system message into `system` and starts with a user turn', () => {
    expect(
      toAnthropicRequest(
        {
          model: 'm',
          messages: [
            { role: 'system', content: 'A' },
            { role: 'assistant', content: 'earlier answer' },
            { role: 'system', content: 'B' },
            { role: 'user', content: 'go on' },
          ],
          temperature: 1.7,
        },
        true,
      ),
    ).toEqual({
      model: 'm',
      max_tokens: 4096,
      system: 'A\n\nB',
      messages: [
        { role: 'user', content: '(continue)' },
        { role: 'assistant', content: 'earlier answer' },
        { role: 'user', content: 'go on' },
      ],
      temperature: 1,
      stream: true,
    });
  });

  it('refuses a conversation of system messages only', () => {
    expect(() => toAnthropicRequest({ model: 'm', messages: [{ role: 'system', content: 'x' }] }, false)).toThrow('at least one user');
  });
});

describe('Anthropic errors and stop reasons', () => {
  it.each([
    ['invalid_request_error', 'invalid_request', false],
    ['not_found_error', 'invalid_request', false],
    ['overloaded_error', 'upstream_error', true],
    ['api_error', 'upstream_error', true],
    ['rate_limit_error', 'upstream_error', true],
  ])('%s is %s (retryable %s)', (type, gatewayType, retryable) => {
    expect(anthropicError({ type, message: 'x' })).toMatchObject({ type: gatewayType, details: { retryable } });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    [null, null],
  ])('maps %s to %s', (reason, expected) => {
    expect(mapAnthropicStopReason(reason)).toBe(expected);
  });
});
