import { bullPrefix, limitsPrefix } from './prefixes';

const on = (prefix: string, clusterNodes: string[] = []) => ({
  redis: { url: 'redis://127.0.0.1:6379', clusterNodes },
  queue: { prefix, retentionSeconds: 60 },
});
const cluster = ['127.0.0.1:7000'];

describe('the two prefixes of QUEUE_PREFIX', () => {
  it('are the prefix as written on one Redis', () => {
    expect(bullPrefix(on('gw'))).toBe('gw');
    expect(limitsPrefix(on('gw'))).toBe('gw');
  });

  it('wrap the queue prefix in a hash tag on a cluster, and leave the limits prefix as written', () => {
    expect(bullPrefix(on('gw', cluster))).toBe('{gw}');
    expect(limitsPrefix(on('gw', cluster))).toBe('gw');
  });

  it('keep a queue prefix that carries its own hash tag', () => {
    expect(bullPrefix(on('{gw}', cluster))).toBe('{gw}');
    expect(bullPrefix(on('app:{gw}', cluster))).toBe('app:{gw}');
  });
});
