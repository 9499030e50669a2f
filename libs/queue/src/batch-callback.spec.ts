import { batchCallbackWaitMs } from './batch-callback';

describe('how long a batch’s recorded callback waits between checks', () => {
  const recheckMs = 1000;
  const createdAt = 1_000_000;

  it('waits a recheck while the batch is young', () => {
    expect(batchCallbackWaitMs({ createdAt }, createdAt, recheckMs)).toBe(recheckMs);
    expect(batchCallbackWaitMs({ createdAt }, createdAt + 3000, recheckMs)).toBe(recheckMs);
  });

  it('waits a quarter of the batch’s age, at most ten rechecks', () => {
    expect(batchCallbackWaitMs({ createdAt }, createdAt + 20_000, recheckMs)).toBe(5000);
    expect(batchCallbackWaitMs({ createdAt }, createdAt + 3_600_000, recheckMs)).toBe(10 * recheckMs);
  });

  it('checks a second after the completion window closes, never later', () => {
    const expiresAt = createdAt + 3_600_000;
    expect(batchCallbackWaitMs({ createdAt, expiresAt }, expiresAt - 500, recheckMs)).toBe(1500);
    expect(batchCallbackWaitMs({ createdAt, expiresAt }, createdAt, recheckMs)).toBe(recheckMs);
    // Past the window: the usual wait (requests still running finish first).
    expect(batchCallbackWaitMs({ createdAt, expiresAt }, expiresAt + 1, recheckMs)).toBe(10 * recheckMs);
  });

  it('never waits less than nothing when the clock is behind the batch', () => {
    expect(batchCallbackWaitMs({ createdAt }, createdAt - 60_000, recheckMs)).toBe(recheckMs);
  });
});
