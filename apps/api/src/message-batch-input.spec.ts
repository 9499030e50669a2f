import { createMessageBatchItemParser } from './message-batch-input';

describe('createMessageBatchItemParser', () => {
  const params = { model: 'claude-sonnet-4-5', max_tokens: 10, system: 'be brief', messages: [{ role: 'user', content: 'hi' }], stop_sequences: ['END'] };

  it('maps params onto the internal chat request, as POST /v1/messages does', () => {
    const parse = createMessageBatchItemParser('agent-7');
    expect(parse({ custom_id: 'first', params }, 0)).toEqual({
      item: {
        customId: 'first',
        request: {
          agent_id: 'agent-7',
          model: 'claude-sonnet-4-5',
          max_tokens: 10,
          messages: [
            { role: 'system', content: 'be brief' },
            { role: 'user', content: 'hi' },
          ],
          stop: ['END'],
        },
      },
    });
  });

  it('names the request and its field in each refusal, a custom_id used twice included', () => {
    const parse = createMessageBatchItemParser(undefined);
    expect(parse({ custom_id: 'one', params }, 0)).toHaveProperty('item');
    expect(parse({ custom_id: 'one', params }, 1)).toEqual({ problems: ['requests.1.custom_id: one is already the custom_id of requests.0'] });
    expect(parse({ custom_id: 'two', params: { ...params, max_tokens: 0 } }, 2)).toEqual({
      problems: [expect.stringMatching(/^requests\.2\.params\.max_tokens: /)],
    });
    expect(parse({ custom_id: 'has space', params }, 3)).toEqual({ problems: [expect.stringMatching(/^requests\.3\.custom_id: /)] });
    expect(parse({ custom_id: 'three', params: { ...params, stream: true } }, 4)).toEqual({
      problems: ['requests.4.params.stream: a request of a batch is not streamed (stream: false or absent)'],
    });
    expect(parse('not an object', 5)).toEqual({ problems: [expect.stringMatching(/^requests\.5: /)] });
  });
});
