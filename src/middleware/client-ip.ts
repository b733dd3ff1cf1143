/**
 * Which address a request comes from: the socket's peer, unless `trustProxy` says that peer is a
 * proxy, and then the right-most untrusted hop of the forwarding header.
 *
 * Hops are counted from the right (the entry the nearest proxy appended) because only the proxies
 * we run append honest entries: everything to the left of them is what the client sent, and a
 * client can send anything. express-rate-limit users were bypassed with a forged
 * `X-Forwarded-For` when `trust proxy` was `true` (trust every hop: the left-most, forged entry
 * wins).
 * @see https://github.com/express-rate-limit/express-rate-limit/issues/134
 * @module
 * @internal
 */
import { addressKey, inRange, parseAddress, parseRange, type AddressRange, type Groups } from './address';

/**
 * Which peers are proxies whose forwarding header the guard believes:
 * - a number `n`: the `n` hops nearest to this server are proxies (1: one load balancer in front);
 * - a list of addresses, CIDR ranges and the names `'loopback'`, `'linklocal'`, `'uniquelocal'`
 *   (private networks): a peer in the list is a proxy, and so is each hop it reports that is in
 *   the list.
 */
export type TrustProxy = number | readonly string[];

/** Which header carries the hops: `X-Forwarded-For` or the standard `Forwarded` (RFC 7239). */
export type ProxyHeader = 'x-forwarded-for' | 'forwarded';

/** The ranges behind each name a {@link TrustProxy} list may hold (as proxy-addr names them). */
export const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** The address ranges of a trust list, or the entries that are neither a name nor a range. */
export function parseTrustList(entries: readonly string[]): { ranges: AddressRange[]; invalid: string[] } {
  const ranges: AddressRange[] = [];
  const invalid: string[] = [];
  for (const entry of entries) {
    const named = NAMED_RANGES[entry];
    for (const cidr of named ?? [entry]) {
      const range = parseRange(cidr);
      if (range === undefined) invalid.push(entry);
      else ranges.push(range);
    }
  }
  return { ranges, invalid };
}

/** The private ranges: loopback, link-local and unique-local, IPv4 and IPv6. */
const PRIVATE_RANGES = parseTrustList(['loopback', 'linklocal', 'uniquelocal']).ranges;

/** Whether `address` is loopback or private (where proxies usually sit). */
export function isPrivateAddress(address: string): boolean {
  const groups = parseAddress(address);
  return groups !== undefined && PRIVATE_RANGES.some((range) => inRange(groups, range));
}

/**
 * Finds a request's client address. Made once per guard; `resolve` costs nothing beyond reading
 * the socket address when no proxy is trusted.
 */
export class ClientAddress {
  readonly #hops: number;
  readonly #ranges: readonly AddressRange[] | undefined;
  readonly #header: ProxyHeader;
  readonly #ipv6Subnet: number;

  /**
   * @param trust - see {@link TrustProxy}; undefined: trust no proxy (use the socket address)
   * @param header - the forwarding header to read
   * @param ipv6Subnet - the prefix length IPv6 clients are keyed by
   */
  constructor(trust: TrustProxy | undefined, header: ProxyHeader, ipv6Subnet: number) {
    this.#header = header;
    this.#ipv6Subnet = ipv6Subnet;
    this.#hops = typeof trust === 'number' ? trust : 0;
    this.#ranges = typeof trust === 'object' ? parseTrustList(trust).ranges : undefined;
  }

  /** Whether a forwarding header is read at all. */
  get trusting(): boolean {
    return this.#hops > 0 || this.#ranges !== undefined;
  }

  /** The name of the forwarding header. */
  get header(): ProxyHeader {
    return this.#header;
  }

  /** The rate-limit key of a client address: see {@link addressKey}. */
  key(address: string): string {
    return addressKey(address, this.#ipv6Subnet);
  }

  /**
   * The client's address.
   * @param socketAddress - the peer of the connection; undefined once a socket is gone
   * @param forwarded - the forwarding header's value, if any
   */
  resolve(socketAddress: string | undefined, forwarded: string | undefined): string {
    const peer = socketAddress ?? '';
    if (forwarded === undefined || !this.trusting) return peer;
    const hops = this.#header === 'forwarded' ? forwardedFor(forwarded) : forwarded.split(',');
    return this.#ranges === undefined ? this.#countHops(peer, hops) : this.#walkTrusted(peer, hops);
  }

  /** With a hop count: the hop `n` places left of the peer, or the left-most valid one. */
  #countHops(peer: string, hops: string[]): string {
    let client = peer;
    for (let i = hops.length - 1, n = this.#hops; i >= 0 && n > 0; i--, n--) {
      const hop = hopAddress(hops[i] as string);
      // An entry that is no address ends the walk: the request counts as the proxy that reported it.
      if (hop === undefined) break;
      client = hop;
    }
    return client;
  }

  /**
   * With trusted ranges: the right-most hop that is not a trusted proxy. Each address is parsed
   * once: the groups of the hop just taken are the ones the next step checks against the ranges.
   */
  #walkTrusted(peer: string, hops: string[]): string {
    const ranges = this.#ranges as readonly AddressRange[];
    let client = peer;
    let groups = parseAddress(peer);
    for (let i = hops.length - 1; i >= 0 && groups !== undefined && trusted(groups, ranges); i--) {
      const text = hopText(hops[i] as string);
      groups = text === undefined ? undefined : parseAddress(text);
      // An entry that is no address ends the walk, as with a hop count.
      if (groups === undefined) break;
      client = text as string;
    }
    return client;
  }
}

/** Whether `groups` lie in one of `ranges` (an IPv4 range holds the mapped forms of its addresses too). */
function trusted(groups: Groups, ranges: readonly AddressRange[]): boolean {
  for (const range of ranges) if (inRange(groups, range)) return true;
  return false;
}

/**
 * The address in one hop, without brackets, quotes or port (`"[2001:db8::1]:4711"`,
 * `192.0.2.1:8080`, both seen from real proxies); undefined when it is no IP address (`unknown`,
 * an obfuscated `_hidden`, a forged garbage value).
 */
export function hopAddress(entry: string): string | undefined {
  const text = hopText(entry);
  return text === undefined || parseAddress(text) === undefined ? undefined : text;
}

/** What may be the address in one hop (see {@link hopAddress}), not yet parsed; undefined when too long for one. */
function hopText(entry: string): string | undefined {
  let text = entry.trim();
  if (text.length > 64) return undefined;
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) text = text.slice(1, -1);
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end === -1) return undefined;
    text = text.slice(1, end);
  } else if (text.indexOf(':') !== -1 && text.indexOf(':') === text.lastIndexOf(':')) {
    text = text.slice(0, text.indexOf(':'));
  }
  return text;
}

/** The `for=` values of a `Forwarded` header, one per element, left to right (RFC 7239 §4). */
export function forwardedFor(header: string): string[] {
  const values: string[] = [];
  for (const element of header.split(',')) {
    let value = '';
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq !== -1 && pair.slice(0, eq).trim().toLowerCase() === 'for') value = pair.slice(eq + 1);
    }
    values.push(value);
  }
  return values;
}
