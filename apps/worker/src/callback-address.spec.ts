import { createCallbackAddressPolicy } from './callback-address';

describe('createCallbackAddressPolicy', () => {
  it('allows public addresses and refuses private, loopback, link-local and mapped ones by default', () => {
    const allowed = createCallbackAddressPolicy(['hooks.example.com']);
    expect(allowed('93.184.216.34')).toBe(true);
    expect(allowed('2606:2800:220:1:248:1893:25c8:1946')).toBe(true);
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.9',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
    ]) {
      expect([address, allowed(address)]).toEqual([address, false]);
    }
  });

  it('allows a private address the list names as an IP, or a CIDR range holding it', () => {
    const allowed = createCallbackAddressPolicy(['127.0.0.1:9000', '[::1]:9000', '10.20.0.0/16']);
    expect(allowed('127.0.0.1')).toBe(true);
    expect(allowed('::1')).toBe(true);
    expect(allowed('10.20.3.4')).toBe(true);
    expect(allowed('10.21.3.4')).toBe(false);
    expect(allowed('127.0.0.2')).toBe(false);
  });
});
