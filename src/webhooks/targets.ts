// Where a webhook may go. A student-facing service must not be a way into the instructor's
// network: a target on a loopback, private, link-local or otherwise special-purpose address is
// refused, checked when the URL is given and again at every delivery, on the addresses the
// connection really uses (a name that resolves elsewhere by then does not get through).
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Every refused range, with its name in IANA's registries: the IPv4 and IPv6 Special-Purpose
 * Address Registries (all of them, globally reachable or not: no webhook receiver lives in an
 * anycast or documentation block), the multicast spaces, and the deprecated IPv6 site-local
 * block. A range inside another comes first, so that a refusal names the narrower one.
 *
 * IPv4-mapped addresses (::ffff:0:0/96) are no row of their own: BlockList checks them against
 * the IPv4 rows, so ::ffff:127.0.0.1 is refused as 127.0.0.1 is, and ::ffff:8.8.8.8 goes through
 * as 8.8.8.8 does. For the same reason no IPv6 row may cover ::ffff:0:0/96 (::/8 would refuse
 * every IPv4 address). The other forms that carry an IPv4 address (IPv4-compatible, NAT64, 6to4,
 * Teredo) are refused whole: a translator or relay could carry them to anything.
 */
export const REFUSED_RANGES: readonly (readonly [cidr: string, name: string])[] = [
  // IANA IPv4 Special-Purpose Address Registry
  ['0.0.0.0/32', '"This host on this network" (RFC 1122)'],
  ['0.0.0.0/8', '"This network" (RFC 791)'],
  ['10.0.0.0/8', 'Private-Use (RFC 1918)'],
  ['100.64.0.0/10', 'Shared Address Space (RFC 6598)'],
  ['127.0.0.0/8', 'Loopback (RFC 1122)'],
  ['169.254.0.0/16', 'Link Local (RFC 3927)'],
  ['172.16.0.0/12', 'Private-Use (RFC 1918)'],
  ['192.0.0.0/29', 'IPv4 Service Continuity Prefix (RFC 7335)'],
  ['192.0.0.8/32', 'IPv4 dummy address (RFC 7600)'],
  ['192.0.0.9/32', 'Port Control Protocol Anycast (RFC 7723)'],
  ['192.0.0.10/32', 'Traversal Using Relays around NAT Anycast (RFC 8155)'],
  ['192.0.0.170/32', 'NAT64/DNS64 Discovery (RFC 8880)'],
  ['192.0.0.171/32', 'NAT64/DNS64 Discovery (RFC 8880)'],
  ['192.0.0.0/24', 'IETF Protocol Assignments (RFC 6890)'],
  ['192.0.2.0/24', 'Documentation (TEST-NET-1, RFC 5737)'],
  ['192.31.196.0/24', 'AS112-v4 (RFC 7535)'],
  ['192.52.193.0/24', 'AMT (RFC 7450)'],
  ['192.88.99.2/32', '6a44-relay anycast address (RFC 6751)'],
  ['192.88.99.0/24', 'Deprecated (6to4 Relay Anycast, RFC 7526)'],
  ['192.168.0.0/16', 'Private-Use (RFC 1918)'],
  ['192.175.48.0/24', 'Direct Delegation AS112 Service (RFC 7534)'],
  ['198.18.0.0/15', 'Benchmarking (RFC 2544)'],
  ['198.51.100.0/24', 'Documentation (TEST-NET-2, RFC 5737)'],
  ['203.0.113.0/24', 'Documentation (TEST-NET-3, RFC 5737)'],
  ['255.255.255.255/32', 'Limited Broadcast (RFC 919)'],
  ['240.0.0.0/4', 'Reserved (RFC 1112)'],
  // IANA IPv4 Multicast Address Space Registry
  ['224.0.0.0/4', 'Multicast (RFC 5771)'],
  // IANA IPv6 Special-Purpose Address Registry
  ['::/128', 'Unspecified Address (RFC 4291)'],
  ['::1/128', 'Loopback Address (RFC 4291)'],
  ['64:ff9b::/96', 'IPv4-IPv6 Translation (NAT64, RFC 6052)'],
  ['64:ff9b:1::/48', 'IPv4-IPv6 Translation (local-use NAT64, RFC 8215)'],
  ['100::/64', 'Discard-Only Address Block (RFC 6666)'],
  ['100:0:0:1::/64', 'Dummy IPv6 Prefix (RFC 9780)'],
  ['2001::/32', 'TEREDO (RFC 4380)'],
  ['2001:1::1/128', 'Port Control Protocol Anycast (RFC 7723)'],
  ['2001:1::2/128', 'Traversal Using Relays around NAT Anycast (RFC 8155)'],
  ['2001:1::3/128', 'DNS-SD Service Registration Protocol Anycast (RFC 9665)'],
  ['2001:2::/48', 'Benchmarking (RFC 5180)'],
  ['2001:3::/32', 'AMT (RFC 7450)'],
  ['2001:4:112::/48', 'AS112-v6 (RFC 7535)'],
  ['2001:10::/28', 'Deprecated (previously ORCHID, RFC 4843)'],
  ['2001:20::/28', 'ORCHIDv2 (RFC 7343)'],
  ['2001:30::/28', 'Drone Remote ID Protocol Entity Tags (RFC 9374)'],
  ['2001::/23', 'IETF Protocol Assignments (RFC 2928)'],
  ['2001:db8::/32', 'Documentation (RFC 3849)'],
  ['2002::/16', '6to4 (RFC 3056)'],
  ['2620:4f:8000::/48', 'Direct Delegation AS112 Service (RFC 7534)'],
  ['3fff::/20', 'Documentation (RFC 9637)'],
  ['5f00::/16', 'Segment Routing (SRv6) SIDs (RFC 9602)'],
  ['fc00::/7', 'Unique-Local (RFC 4193)'],
  ['fe80::/10', 'Link-Local Unicast (RFC 4291)'],
  // IANA IPv6 Address Space Registry: what the special-purpose registry leaves out
  ['::/96', 'IPv4-compatible IPv6 address (deprecated, RFC 4291)'],
  ['fec0::/10', 'Site-Local Unicast (deprecated, RFC 3879)'],
  ['ff00::/8', 'Multicast (RFC 4291)'],
];

/** One BlockList a row, so that a refusal can say which range it fell in. */
const TABLE = REFUSED_RANGES.map(([cidr, name]) => {
  const [net, prefix] = cidr.split('/');
  const family = isIP(net) === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  list.addSubnet(net, Number(prefix), family);
  return { list, reason: `${cidr} ${name}` };
});

/** The refused range `address` is in (CIDR and IANA name), or null for an address a webhook may go to. */
export function refusedAddress(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return TABLE.find((row) => row.list.check(address, type))?.reason ?? null;
}

/** Why `url` cannot be a webhook target, or null when it can. */
export async function refusedTarget(url: string, allowInternal: boolean): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an http or https URL';
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry credentials';
  if (allowInternal) return null;
  const host = hostOf(parsed);
  let addresses: string[];
  try {
    const resolved = isIP(host)
      ? [{ address: host, family: isIP(host) }]
      : await new Promise<LookupAddress[]>((resolve, reject) => dnsLookup(host, { all: true }, (e, a) => (e ? reject(e) : resolve(a))));
    addresses = resolved.map((a) => a.address);
  } catch {
    return `names a host that does not resolve (${host})`;
  }
  for (const address of addresses) {
    const range = refusedAddress(address);
    if (range !== null) return `points at ${address}, in ${range} (MEMGRADE_WEBHOOK_ALLOW_PRIVATE=true allows it)`;
  }
  return null;
}

/** The host of a URL as an address or a name: an IPv6 literal without its brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/**
 * A DNS lookup for http.request that drops refused addresses, so the connection cannot reach one.
 * A host given as an address is never looked up: the deliverer checks those itself.
 */
export function guardedLookup(allowInternal: boolean) {
  type Callback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;
  return (hostname: string, options: LookupAllOptions | object, callback: Callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const usable = allowInternal ? addresses : addresses.filter((a) => refusedAddress(a.address) === null);
      if (usable.length === 0) return callback(new Error(`${hostname} resolves to refused addresses only (${addresses.map((a) => a.address).join(', ')})`), []);
      if ((options as LookupAllOptions).all) return callback(null, usable);
      return callback(null, usable[0].address, usable[0].family);
    });
  };
}
