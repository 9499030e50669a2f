import { postJson, useGateway } from '@gateway/testing';

const messages = [{ role: 'user', content: 'hello' }];

/** When each upstream call arrived (ms). */
const arrivals: number[] = [];

const { gateway } = useGateway({
  name: 'pacing',
  openRouter: {
    apiKey: 'sk-or-pacing-secret',
    // The first call is refused with 429 + Retry-After: 1; every later one is answered.
    behave: (_request, index) => {
      arrivals.push(Date.now());
      return index === 0 ? { kind: 'status', status: 429, retryAfter: '1' } : { kind: 'reply', content: 'paced answer' };
    },
  },
  // Two workers: the one that sees the 429 pauses the provider for the other too.
  workers: 2,
});

describe('provider pacing through real workers', () => {
  it('after an upstream 429 with Retry-After, holds every worker’s jobs in the queue until the pause ends, then serves them', async () => {
    const refused = await postJson(`${gateway.baseUrl}/v1/chat`, { messages });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(arrivals).toHaveLength(1);
    const pausedAt = arrivals[0]!;

    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 6 }, () => postJson(`${gateway.baseUrl}/v1/chat`, { messages })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    expect(answers.map((answer) => (answer.body as { content: string }).content)).toEqual(Array(6).fill('paced answer'));
    // No worker called the provider during its pause (Retry-After: 1 s; timer slack allowed).
    expect(arrivals).toHaveLength(7);
    for (const arrival of arrivals.slice(1)) expect(arrival - pausedAt).toBeGreaterThanOrEqual(900);
    // The jobs waited (delayed in the queue), they were not refused.
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    process.stdout.write(`pacing: ${arrivals.length - 1} calls after the pause, the first ${arrivals[1]! - pausedAt} ms after the 429\n`);
  });
});
