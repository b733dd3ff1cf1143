import { describe, expect, it } from 'vitest';
import { addressKey } from '../../src/middleware/address';
import { ClientAddress } from '../../src/middleware/client-ip';
import { ConfigError } from '../../src/index';
import { createGuard } from '../../src/middleware/index';

describe('client address keys', () => {
  it('keys an IPv6 client by its /64, so that rotating through the subnet does not escape the limit', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1', 64)).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff', 64)).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::1', 64)).toBe('2001:db8:1:3::/64');
  });

  it('takes the subnet size from ipv6Subnet, 128 keying each address', () => {
    expect(addressKey('2001:db8:1:2ff::1', 56)).toBe('2001:db8:1:200::/56');
    expect(addressKey('2001:db8::1', 128)).toBe('2001:db8::1');
  });

  it('keys IPv4-mapped addresses as IPv4 whatever their notation, and never groups IPv4 clients', () => {
    expect(addressKey('::ffff:192.0.2.1', 64)).toBe('192.0.2.1');
    expect(addressKey('::ffff:c000:201', 64)).toBe('192.0.2.1');
    expect(addressKey('0:0:0:0:0:ffff:c000:0202', 64)).toBe('192.0.2.2');
    expect(addressKey('::ffff:192.0.2.1', 56)).not.toBe(addressKey('::ffff:192.0.2.2', 56));
    expect(addressKey('192.0.2.1', 48)).toBe('192.0.2.1');
  });

  it('returns text that is no address unchanged', () => {
    expect(addressKey('', 64)).toBe('');
    expect(addressKey('unknown', 64)).toBe('unknown');
    expect(addressKey('999.0.2.1', 64)).toBe('999.0.2.1');
    expect(addressKey('not:an:address', 64)).toBe('not:an:address');
  });

  it('does not mistake addresses near the mapped range for IPv4', () => {
    expect(addressKey('::fffe:c000:201', 128)).toBe('::fffe:c000:201');
    expect(addressKey('1::ffff:c000:201', 128)).toBe('1::ffff:c000:201');
  });
});

describe('trustProxy', () => {
  const xff = 'x-forwarded-for';

  it('ignores X-Forwarded-For when no proxy is trusted', () => {
    expect(new ClientAddress(undefined, xff, 64).resolve('203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
  });

  it('with a hop count takes the hop that many places left of the peer, counting from the right', () => {
    const one = new ClientAddress(1, xff, 64);
    expect(one.resolve('10.0.0.1', '6.6.6.6, 198.51.100.7')).toBe('198.51.100.7');
    const two = new ClientAddress(2, xff, 64);
    expect(two.resolve('10.0.0.1', '6.6.6.6, 198.51.100.7, 10.0.0.2')).toBe('198.51.100.7');
    expect(two.resolve('10.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
  });

  it('with a CIDR list takes the right-most untrusted hop', () => {
    const client = new ClientAddress(['10.0.0.0/8', 'loopback'], xff, 64);
    expect(client.resolve('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.1.2.3')).toBe('198.51.100.7');
    expect(client.resolve('::ffff:127.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
    expect(client.resolve('203.0.113.5', '198.51.100.7')).toBe('203.0.113.5');
  });

  it('with a CIDR list walks trusted hops of any notation, and stops at one that is no address', () => {
    const client = new ClientAddress(['10.0.0.0/8', 'fd00::/8'], xff, 64);
    expect(client.resolve('fd00::1', '198.51.100.7, "[fd00::2]:4711", 10.0.0.3:8080')).toBe('198.51.100.7');
    expect(client.resolve('10.0.0.1', '198.51.100.7, unknown, 10.0.0.3')).toBe('10.0.0.3');
    expect(client.resolve('10.0.0.1', '10.0.0.9, 10.0.0.3')).toBe('10.0.0.9');
    expect(client.resolve('not-an-address', '198.51.100.7')).toBe('not-an-address');
  });

  it('stops at an entry that is no address instead of keying by it', () => {
    const client = new ClientAddress(2, xff, 64);
    expect(client.resolve('10.0.0.1', 'x'.repeat(10_000) + ', 10.0.0.2')).toBe('10.0.0.2');
  });

  it('reads the Forwarded header when asked, brackets, quotes and ports included', () => {
    const client = new ClientAddress(1, 'forwarded', 64);
    expect(client.resolve('10.0.0.1', 'for=6.6.6.6, for="[2001:db8::7]:4711";proto=https')).toBe('2001:db8::7');
    expect(client.resolve('10.0.0.1', 'for=192.0.2.60;proto=http;by=203.0.113.43')).toBe('192.0.2.60');
  });

  it('refuses entries that are neither addresses, ranges nor names', () => {
    expect(() => createGuard({ trustProxy: ['10.0.0.0/33', 'proxy.local'] })).toThrow(ConfigError);
    expect(() => createGuard({ trustProxy: -1 })).toThrow(/trustProxy/);
  });
});
