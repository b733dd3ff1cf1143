import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/redis/index';
import { keysUnder } from './support';
import { cacheSuite } from './cache-support';

describe('Cache entries and keys', () => {
  const suite = cacheSuite('cache-entries');
  const { prefix } = suite;
  const { cache } = suite;


  /** The one Redis key the cache wrote under the prefix. */
  async function onlyKey(): Promise<string> {
    const keys = await keysUnder(suite.redis, prefix);
    expect(keys).toHaveLength(1);
    return keys[0] as string;
  }

  const foreign: Record<string, string | Buffer> = {
    'plain text': 'hello',
    'another format': 'bwc0|abc|1|2|v|"x"',
    'a payload JSON cannot read': 'bwc1|abc|99999999999999|99999999999999|v|{not json',
    'a truncated header': 'bwc1|abc|123',
    'a time that is not digits': 'bwc1|abc|9999999999999a|99999999999999|v|"x"',
    'an empty time': 'bwc1|abc||99999999999999|v|"x"',
    'an unknown kind': 'bwc1|abc|99999999999999|99999999999999|x|"x"',
    'a kind without its bar': 'bwc1|abc|99999999999999|99999999999999|v"x"',
    'a header that ends at the kind': 'bwc1|abc|99999999999999|99999999999999|v',
    'binary bytes': Buffer.from([0xff, 0x00, 0xfe, 0x7c]),
  };

  for (const [label, stored] of Object.entries(foreign)) {
    it(`reads ${label} as a miss, and getOrLoad overwrites it`, async () => {
      const c = cache();
      await c.set('k', 'seed');
      const key = await onlyKey();
      await suite.redis.set(key, stored);
      expect(await c.get('k')).toBeUndefined();
      let loads = 0;
      expect(await c.getOrLoad('k', () => ++loads)).toBe(1);
      expect(await c.get('k')).toBe(1);
      expect(loads).toBe(1);
      expect(await suite.redis.pttl(key)).toBeGreaterThan(50_000);
    });
  }

  it('reads an entry of this format that another process wrote, whatever its generation holds', async () => {
    const c = cache();
    await c.set('k', 'seed');
    const key = await onlyKey();
    await suite.redis.set(key, 'bwc1|any gen\n:1{}|99999999999999|99999999999999|v|{"x":[1]}');
    expect(await c.get('k')).toEqual({ x: [1] });
    await suite.redis.set(key, 'bwc1||99999999999999|99999999999999|u|');
    expect(await c.getOrLoad('k', () => 'loaded')).toBeUndefined();
  });

  it('reads an entry of another type (a hash) as a miss and loads, without writing over it', async () => {
    const c = cache();
    await c.set('k', 'seed');
    const key = await onlyKey();
    await suite.redis.del(key);
    await suite.redis.hset(key, 'field', 'value');
    expect(await c.getOrLoad('k', () => 'loaded')).toBe('loaded');
    expect(await suite.redis.type(key)).toBe('hash');
  });

  it('keeps keys with any characters apart and round-trips them', async () => {
    const c = cache();
    const keys = ['', ' ', 'a}b', '{a}', 'a{b', 'line\nbreak', 'ünï©ødé 🎉', ':', 'a:b', '#{x}', '\0nul'];
    for (const [index, key] of keys.entries()) await c.set(key, index);
    for (const [index, key] of keys.entries()) expect(await c.get(key)).toBe(index);
    expect(await keysUnder(suite.redis, prefix)).toHaveLength(keys.length);
  });

  it('bounds the length of a key: a long one is stored under its hash, apart from a key that equals that hash', async () => {
    const c = cache();
    const long = 'x'.repeat(10_000);
    await c.set(long, 'long');
    const key = await onlyKey();
    expect(key.length).toBeLessThan(prefix.length + 80);
    const hash = /#\{([0-9a-f]{64})\}$/.exec(key)?.[1] as string;
    expect(hash).toBeDefined();
    expect(await c.get(hash)).toBeUndefined();
    await c.set(hash, 'hash');
    expect(await c.get(long)).toBe('long');
    expect(await c.get(hash)).toBe('hash');
  });

  it('puts the cache key in a hash tag, so every key of one cache key lands in one Cluster slot', async () => {
    const c = cache();
    await c.set('user:42', 1);
    expect(await onlyKey()).toBe(`${prefix}:{user:42}`);
  });

  it('writes each value with its jittered time to live', async () => {
    const c = new Cache({ redis: suite.redis, prefix, ttlMs: 10_000, jitter: 0, registry: false });
    await c.set('k', 1);
    const pttl = await suite.redis.pttl(await onlyKey());
    expect(pttl).toBeGreaterThan(9_000);
    expect(pttl).toBeLessThanOrEqual(10_000);
  });
});
