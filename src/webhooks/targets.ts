// Where a webhook may go. A student-facing service must not be a way into the instructor's
// network: a target on a loopback, private, link-local or otherwise internal address is refused,
// checked when the URL is given and again at every delivery, on the addresses the connection
// really uses (a name that resolves elsewhere by then does not get through).
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

/** Whether an address is internal: loopback, private, link-local, multicast or reserved. */
export function isInternal(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return INTERNAL.check(mapped[1], 'ipv4');
  const family = isIP(address);
  return family === 0 || INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
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
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    const resolved = isIP(host)
      ? [{ address: host, family: isIP(host) }]
      : await new Promise<LookupAddress[]>((resolve, reject) => dnsLookup(host, { all: true }, (e, a) => (e ? reject(e) : resolve(a))));
    addresses = resolved.map((a) => a.address);
  } catch {
    return `names a host that does not resolve (${host})`;
  }
  return addresses.some(isInternal) ? 'points at a loopback or private address (MEMGRADE_WEBHOOK_ALLOW_PRIVATE=true allows it)' : null;
}

/** A DNS lookup for http.request that refuses internal addresses, so the connection cannot reach one. */
export function guardedLookup(allowInternal: boolean) {
  type Callback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;
  return (hostname: string, options: LookupAllOptions | object, callback: Callback) => {
    dnsLookup(hostname, { ...(options), all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const usable = allowInternal ? addresses : addresses.filter((a) => !isInternal(a.address));
      if (usable.length === 0) return callback(new Error(`${hostname} resolves to an internal address only`), []);
      if ((options as LookupAllOptions).all) return callback(null, usable);
      return callback(null, usable[0].address, usable[0].family);
    });
  };
}
