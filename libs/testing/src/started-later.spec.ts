import { startedLater } from './started-later';

describe('startedLater', () => {
  it('throws, naming the part, when read before the part started', () => {
    const part = startedLater<{ url: string }>('Redis', () => undefined);
    expect(() => part.url).toThrow("the suite's Redis is read before its beforeAll started it");
  });

  it('reads, writes, spreads and calls the started part (methods bound to it)', () => {
    let started = false;
    const current = {
      url: 'redis://x',
      count: 1,
      bump() {
        return ++this.count;
      },
    };
    const part = startedLater('counter', () => (started ? current : undefined));
    started = true;
    const { bump } = part;
    expect(bump()).toBe(2);
    part.count = 10;
    expect(current.count).toBe(10);
    expect('url' in part).toBe(true);
    expect({ ...part }).toMatchObject({ url: 'redis://x', count: 10 });
  });
});
