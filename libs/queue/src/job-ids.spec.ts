import { batchJobId } from './batch-store';
import { isGatewayBatchId, isGatewayJobId, newGatewayId } from './job-ids';

describe('gateway job and batch ids', () => {
  const id = newGatewayId();

  it('accepts the ids the gateway makes', () => {
    expect(isGatewayJobId(id)).toBe(true);
    expect(isGatewayJobId(batchJobId(id, 0))).toBe(true);
    expect(isGatewayJobId(batchJobId(id, 9999))).toBe(true);
    expect(isGatewayBatchId(id)).toBe(true);
  });

  it.each(['wait', 'meta', 'id', 'events', 'active', 'prioritized', '', id.toUpperCase(), `${id}-`, `${id}-01`, `${id}-1-2`, `${id}:lock`, `x${id}`])(
    'refuses %p as a job id and a batch id',
    (other) => {
      expect(isGatewayJobId(other)).toBe(false);
      expect(isGatewayBatchId(other)).toBe(false);
    },
  );

  it('accepts the ids of a key’s work (the key id in front), and only that form of prefix', () => {
    const owned = newGatewayId('key_AbCdEfGh01234567');
    expect(owned).toMatch(/^key_AbCdEfGh01234567_/);
    expect(isGatewayJobId(owned)).toBe(true);
    expect(isGatewayBatchId(owned)).toBe(true);
    expect(isGatewayJobId(batchJobId(owned, 2))).toBe(true);
    for (const other of [`key_short_${id}`, `key_AbCdEfGh01234567${id}`, `key_AbCdEfGh0123456!_${id}`, `wait_${id}`]) expect(isGatewayJobId(other)).toBe(false);
  });

  it('does not take a batch request id for a batch id', () => {
    expect(isGatewayBatchId(batchJobId(id, 3))).toBe(false);
  });
});
