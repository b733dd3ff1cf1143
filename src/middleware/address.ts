/**
 * IP addresses as the guard needs them: parsed into eight 16-bit groups (an IPv4 address as its
 * IPv4-mapped IPv6 form, `::ffff:a.b.c.d`), matched against CIDR ranges, and turned into the key
 * a rate limit counts by.
 *
 * IPv4-mapped addresses are recognised by their bits (the range `::ffff:0:0/96`), never by how they
 * are written: `::ffff:7f00:1` is `127.0.0.1` as much as `::ffff:127.0.0.1` is. express-rate-limit
 * 8 masked every IPv6 address to its /56 before checking notation, which put every IPv4 client
 * behind a dual-stack socket into one bucket.
 * @see https://github.com/express-rate-limit/express-rate-limit/security/advisories/GHSA-46wh-pxpv-q5gq
 * @module
 * @internal
 */
import { isIPv4, isIPv6 } from 'node:net';

/** An address as eight 16-bit groups, IPv4 as `::ffff:a.b.c.d`. */
export type Groups = readonly number[];

/** A CIDR range in the IPv6 space (an IPv4 range as its mapped form, prefix + 96). */
export interface AddressRange {
  readonly groups: Groups;
  readonly prefix: number;
}

/** The groups of `text`, or undefined when it is not an IP address. A zone (`%eth0`) is ignored. */
export function parseAddress(text: string): Groups | undefined {
  if (isIPv4(text)) return mappedGroups(text);
  const zone = text.indexOf('%');
  const address = zone === -1 ? text : text.slice(0, zone);
  if (!isIPv6(address)) return undefined;
  return ipv6Groups(address);
}

/** Whether `groups` lie in `::ffff:0:0/96`, the IPv4-mapped range. */
export function isMapped(groups: Groups): boolean {
  return groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff;
}

/** Whether `groups` lie in `range`. */
export function inRange(groups: Groups, range: AddressRange): boolean {
  let bits = range.prefix;
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if (((groups[i] as number) & mask) !== ((range.groups[i] as number) & mask)) return false;
  }
  return true;
}

/**
 * The range a CIDR (`10.0.0.0/8`, `fd00::/8`) or a single address names, or undefined when it is
 * neither.
 */
export function parseRange(cidr: string): AddressRange | undefined {
  const slash = cidr.indexOf('/');
  const address = slash === -1 ? cidr : cidr.slice(0, slash);
  const groups = parseAddress(address);
  if (groups === undefined) return undefined;
  const v4 = isIPv4(address);
  const max = v4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const bits = cidr.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return undefined;
    prefix = Number(bits);
  }
  return { groups, prefix: v4 ? prefix + 96 : prefix };
}

/**
 * The key of a client address: an IPv4 address (or an IPv4-mapped one) as dotted IPv4; an IPv6
 * address as its `/ipv6Subnet` network (`2001:db8:1:2::/64`), so that a client cannot escape its
 * limit by rotating through the addresses of its own subnet; `ipv6Subnet: 128` keys each address.
 * Text that is no address is returned unchanged.
 */
export function addressKey(text: string, ipv6Subnet: number): string {
  // Without a colon it is IPv4 or no address, returned as it is either way: no parsing needed.
  if (text.indexOf(':') === -1) return text;
  const groups = parseAddress(text);
  if (groups === undefined) return text;
  if (isMapped(groups)) return dotted(groups);
  if (ipv6Subnet >= 128) return formatIPv6(groups);
  const masked = groups.slice();
  maskTo(masked, ipv6Subnet);
  return `${formatIPv6(masked)}/${ipv6Subnet}`;
}

/** The dotted IPv4 form of an IPv4-mapped address. */
export function dotted(groups: Groups): string {
  const high = groups[6] as number;
  const low = groups[7] as number;
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** Clears every bit past `prefix`. */
function maskTo(groups: number[], prefix: number): void {
  let bits = prefix;
  for (let i = 0; i < 8; i++, bits -= 16) {
    if (bits >= 16) continue;
    groups[i] = bits <= 0 ? 0 : (groups[i] as number) & ((0xffff << (16 - bits)) & 0xffff);
  }
}

/** The canonical text of an IPv6 address (RFC 5952: lower case, the longest run of zeros as `::`). */
function formatIPv6(groups: Groups): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function mappedGroups(v4: string): number[] {
  const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
  return [0, 0, 0, 0, 0, 0xffff, (a << 8) | b, (c << 8) | d];
}

/** Groups of a valid IPv6 text (checked by `isIPv6`), including one that ends in dotted IPv4. */
function ipv6Groups(text: string): number[] {
  let tail: number[] = [];
  let body = text;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    const v4 = mappedGroups(text.slice(lastColon + 1));
    tail = [v4[6] as number, v4[7] as number];
    body = text.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const gap = body.indexOf('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  let groups: number[];
  if (gap === -1) groups = [...parse(body), ...tail];
  else {
    const head = parse(body.slice(0, gap));
    const rest = [...parse(body.slice(gap + 2)), ...tail];
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  }
  return groups;
}
