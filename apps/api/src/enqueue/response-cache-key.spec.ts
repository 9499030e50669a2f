import type { ChatRequest } from '@gateway/contracts';
import { responseCacheHash } from './response-cache-key';

describe('responseCacheHash', () => {
  const base: ChatRequest = { messages: [{ role: 'user', content: 'hello' }], temperature: 0, max_tokens: 10 };

  it('is the same whatever the field order and whoever asks, and how', () => {
    const reordered = { max_tokens: 10, temperature: 0, messages: [{ content: 'hello', role: 'user' as const }] };
    const asked = { ...base, agent_id: 'a', user: 'u', metadata: { run: '1' }, priority: 3, resumable: true };
    expect(responseCacheHash(reordered, 'm')).toBe(responseCacheHash(base, 'm'));
    expect(responseCacheHash(asked, 'm')).toBe(responseCacheHash(base, 'm'));
  });

  it('changes with the model and every field that changes the answer', () => {
    const hash = responseCacheHash(base, 'm');
    expect(responseCacheHash(base, 'other')).not.toBe(hash);
    for (const changed of [{ temperature: 1 }, { max_tokens: 11 }, { seed: 1 }, { stop: 'x' }, { messages: [{ role: 'user' as const, content: 'hello!' }] }]) {
      expect(responseCacheHash({ ...base, ...changed }, 'm')).not.toBe(hash);
    }
    expect(responseCacheHash({ model: 'm', embeddings: { input: ['hello'] } } as never, 'm')).not.toBe(hash);
  });
});
