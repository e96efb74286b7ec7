/**
 * The guard for outbound URLs given by customers (status callbacks; Passthru may reuse it): only
 * http(s), and only to public addresses unless configured otherwise. The host is resolved here
 * and every address it resolves to is checked; the request then connects to the checked address
 * (see `pinnedLookup`), so a DNS answer that changes between the check and the connection
 * (rebinding) cannot redirect it inside.
 */

import { promises as dns, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { CallflowError } from '../errors.ts';

export interface OutboundPolicy {
  /** Allow every address, internal ones included (tests, private deployments). */
  allowPrivateAddresses?: boolean;
  /** Host names (exact, case-insensitive), IPs or CIDRs allowed even when internal. */
  allowList?: readonly string[];
}

export type Lookup = (hostname: string) => Promise<LookupAddress[]>;

const systemLookup: Lookup = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

const RANGES: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'ipv4', 'documentation'],
  ['192.88.99.0', 24, 'ipv4', '6to4 relay'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['198.51.100.0', 24, 'ipv4', 'documentation'],
  ['203.0.113.0', 24, 'ipv4', 'documentation'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['::', 96, 'ipv6', 'IPv4-compatible'],
  ['100::', 64, 'ipv6', 'discard'],
  ['2001::', 32, 'ipv6', 'Teredo'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
  ['fc00::', 7, 'ipv6', 'unique local'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'site-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

const BLOCKS = RANGES.map(([net, prefix, type, name]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return { list, name };
});

/** The 8 groups of an IPv6 address (with an embedded dotted quad turned into two groups). */
function ipv6Groups(ip: string): number[] {
  let text = ip.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (s: string | undefined) =>
    s ? s.split(':').map((g) => Number.parseInt(g, 16)) : [];
  const h = parse(head);
  const t = parse(tail);
  return tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
}

/** The IPv4 address an IPv6 address carries (NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
function embeddedIpv4(ip: string): string | null {
  const g = ipv6Groups(ip);
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0))
    return quad(g[6]!, g[7]!);
  if (g[0] === 0x2002) return quad(g[1]!, g[2]!);
  return null;
}

/** The name of the internal range an address falls in, or null for a public address. */
export function internalRange(ip: string): string | null {
  const type = isIP(ip);
  if (type === 0) return 'not an IP address';
  const family = type === 4 ? 'ipv4' : 'ipv6';
  // BlockList also matches IPv4-mapped IPv6 (::ffff:10.0.0.1) against the IPv4 ranges.
  for (const { list, name } of BLOCKS) if (list.check(ip, family)) return name;
  if (family === 'ipv6') {
    const v4 = embeddedIpv4(ip);
    if (v4) {
      const inner = internalRange(v4);
      if (inner) return `${inner} (embedded in ${ip})`;
    }
  }
  return null;
}

function allowedByList(host: string, ip: string | null, allowList: readonly string[]): boolean {
  for (const entry of allowList) {
    if (entry.toLowerCase() === host.toLowerCase()) return true;
    if (ip === null) continue;
    const [net, bits] = entry.split('/') as [string, string | undefined];
    const netType = isIP(net);
    if (netType === 0) continue;
    const list = new BlockList();
    const family = netType === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(net, family);
    else list.addSubnet(net, Number(bits), family);
    if (list.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6')) return true;
  }
  return false;
}

const blocked = (message: string) => new CallflowError('CALLBACK_URL_BLOCKED', message);

/** The URL, when it is absolute http(s) without credentials; throws CALLBACK_URL_BLOCKED otherwise. */
export function parseOutboundUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw blocked('The URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw blocked(`The URL scheme must be http or https, not ${url.protocol.slice(0, -1)}.`);
  }
  if (url.username || url.password) throw blocked('The URL must not carry credentials.');
  return url;
}

/** The host of a URL without IPv6 brackets. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Checks a URL without DNS: refuses a non-http(s) URL and an IP-literal host in an internal range.
 * For accepting a URL at once (sendSms); the resolving check runs again before each request.
 */
export function checkOutboundUrl(raw: string, policy: OutboundPolicy): URL {
  const url = parseOutboundUrl(raw);
  const host = hostOf(url);
  if (!policy.allowPrivateAddresses && isIP(host) !== 0) {
    const range = internalRange(host);
    if (range && !allowedByList(host, host, policy.allowList ?? [])) {
      throw blocked(`The URL points to a ${range} address (${host}).`);
    }
  }
  return url;
}

/**
 * Resolves the URL's host and checks every address; returns the one to connect to. Throws
 * CALLBACK_URL_BLOCKED when any address is internal (and not allowed); DNS errors pass through.
 */
export async function resolveOutbound(
  url: URL,
  policy: OutboundPolicy,
  lookup: Lookup = systemLookup,
): Promise<LookupAddress> {
  const host = hostOf(url);
  const literal = isIP(host);
  const addresses = literal !== 0 ? [{ address: host, family: literal }] : await lookup(host);
  if (addresses.length === 0) throw new Error(`${host} has no address`);
  if (!policy.allowPrivateAddresses) {
    for (const { address } of addresses) {
      const range = internalRange(address);
      if (range && !allowedByList(host, address, policy.allowList ?? [])) {
        throw blocked(`${host} resolves to a ${range} address (${address}).`);
      }
    }
  }
  return addresses[0]!;
}

/** A `lookup` for http.request that always answers the address already checked. */
export function pinnedLookup(checked: LookupAddress) {
  return (
    _hostname: string,
    options: { all?: boolean },
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    if (options?.all) callback(null, [checked]);
    else callback(null, checked.address, checked.family);
  };
}
