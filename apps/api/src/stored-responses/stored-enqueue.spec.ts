import { createStoreHeadroom } from './stored-enqueue';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('store headroom', () => {
  it('lets a save overlap its enqueue only for an owner seen far from its bound, saves in flight counted', async () => {
    const headroom = createStoreHeadroom(100);
    expect(headroom.roomy('key-1')).toBe(false);
    headroom.track('key-1', Promise.resolve(80));
    await settle();
    expect(headroom.roomy('key-1')).toBe(true);
    // 80 kept + 10 in flight + a tenth of the bound reaches it.
    const pending: Array<(count: number) => void> = [];
    for (let index = 0; index < 10; index += 1) headroom.track('key-1', new Promise<number>((resolve) => pending.push(resolve)));
    expect(headroom.roomy('key-1')).toBe(false);
    for (const resolve of pending) resolve(85);
    await settle();
    expect(headroom.roomy('key-1')).toBe(true);
    expect(headroom.roomy('key-2')).toBe(false);
  });

  it('takes a refused save for a full owner', async () => {
    const headroom = createStoreHeadroom(100);
    headroom.track('key-1', Promise.resolve(1));
    await settle();
    headroom.track('key-1', Promise.reject(new Error('full')));
    await settle();
    expect(headroom.roomy('key-1')).toBe(false);
  });
});
