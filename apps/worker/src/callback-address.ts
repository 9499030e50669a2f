import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { callbackHostEntries } from '@gateway/contracts';

/** Ranges a callback never reaches by name: loopback, private, link-local (cloud metadata), CGNAT, multicast. */
const privateRanges: readonly [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

const blocked = new BlockList();
for (const [network, prefix, family] of privateRanges) blocked.addSubnet(network, prefix, family);

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is checked as the IPv4 it carries. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/**
 * Whether a resolved address may receive callbacks under JOB_CALLBACK_ALLOWED_HOSTS: any public address; a
 * private, loopback or link-local one only when the list names that IP (`127.0.0.1:9000`) or a CIDR range
 * holding it (`10.0.0.0/8`). So a public name that resolves (or is rebound) to an internal address is refused.
 */
export function createCallbackAddressPolicy(allowedHosts: readonly string[]): (address: string) => boolean {
  const listed = new BlockList();
  for (const entry of callbackHostEntries(allowedHosts)) {
    const ip = entry.host.replace(/^\[|\]$/g, '');
    if (isIP(ip)) listed.addAddress(normalise(ip).address, normalise(ip).family);
  }
  for (const entry of allowedHosts.map((value) => value.trim()).filter((value) => value.includes('/'))) {
    const [network = '', prefix = ''] = entry.split('/');
    if (isIP(network) && /^\d+$/.test(prefix)) listed.addSubnet(network, Number(prefix), isIP(network) === 6 ? 'ipv6' : 'ipv4');
  }
  return (raw) => {
    const { address, family } = normalise(raw);
    return !blocked.check(address, family) || listed.check(address, family);
  };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the delivery's connections: resolves as usual, then refuses the connection when any address
 * is not allowed. The check runs at connect time, on the address actually dialled: no window for DNS rebinding.
 */
export function createCheckedLookup(allowed: (address: string) => boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = addresses.find((entry) => !allowed(entry.address));
      if (refused) {
        const problem: NodeJS.ErrnoException = new Error(
          `callback host ${hostname} resolves to ${refused.address}, a private address not in the allowed callback hosts`,
        );
        problem.code = 'ECALLBACKADDRESS';
        return callback(problem, []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
}
