import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter, type RateLimitAlgorithm, type RateLimitRule, type RateWindow, type TokenBucketLimit } from '../../src/rate-limiter/index';
import { RedisStore } from '../../src/redis/index';
import { startCluster } from '../support/redis-cluster';
import type { RedisServerHandle } from '../support/redis-server';

const MASTERS = 3;

describe('RedisStore on a 3-master Redis Cluster', () => {
  let servers: RedisServerHandle[] = [];
  const clients: Cluster[] = [];

  beforeAll(async () => {
    servers = await startCluster(MASTERS);
    for (const autoPipelining of [false, true]) {
      const cluster = new Cluster(
        servers.map((server) => ({ host: server.host, port: server.port })),
        { enableOfflineQueue: false, enableAutoPipelining: autoPipelining, lazyConnect: true },
      );
      await cluster.connect();
      clients.push(cluster);
    }
  }, 60_000);

  afterAll(async () => {
    for (const cluster of clients) cluster.disconnect();
    await Promise.all(servers.map((server) => server.stop()));
  });

  for (const algorithm of ['sliding-log', 'sliding-window', 'token-bucket'] as const) {
    it(`decides multi-window rules for keys in every slot without CROSSSLOT, with auto-pipelining off and on (${algorithm})`, async () => {
      const rule: RateLimitRule = {
        algorithm,
        windows: [
          { limit: 3, windowMs: 10_000 },
          { limit: 5, windowMs: 60_000 },
        ],
      };
      for (const [index, cluster] of clients.entries()) {
        const store = new RedisStore({ redis: cluster, namespace: `c${index}`, timeoutMs: 2_000 });
        const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
        const results = await Promise.all(users.flatMap((user) => Array.from({ length: 5 }, () => store.consume(user, 1, rule))));
        expect(results.filter((result) => result.allowed)).toHaveLength(30 * 3);
        const nodes = new Set(
          users.map((user) => cluster.slots[Number(slotOf(store.keysFor(user, rule)[0] as string))]?.[0]),
        );
        expect(nodes.size).toBe(MASTERS);
      }
    });
  }

  it('maps every key of a decision to one slot for any user key, the empty one included, and decides them without CROSSSLOT', async () => {
    const cluster = clients[0] as Cluster;
    const store = new RedisStore({ redis: cluster, namespace: 'edge-keys', timeoutMs: 2_000 });
    const rule: RateLimitRule = {
      algorithm: 'sliding-window',
      windows: [
        { limit: 2, windowMs: 10_000 },
        { limit: 3, windowMs: 60_000 },
        { limit: 4, windowMs: 3_600_000 },
      ],
    };
    const userKeys = ['', '{', '{}', 'a{', '}', '}{', 'é'.repeat(65), ' ', '42'];
    for (const userKey of userKeys) {
      const slots = await Promise.all(store.keysFor(userKey, rule).map((key) => cluster.cluster('KEYSLOT', key)));
      expect(new Set(slots).size, JSON.stringify(userKey)).toBe(1);
    }
    const buckets = rule.windows.map(({ limit, windowMs }) => ({ rate: { tokens: limit, perMs: windowMs }, burst: limit }));
    const [window1, window2, window3] = rule.windows as [RateWindow, RateWindow, RateWindow];
    const [bucket1, bucket2] = buckets as [TokenBucketLimit, TokenBucketLimit];
    const cases: [string, RateLimitAlgorithm, readonly (RateWindow | TokenBucketLimit)[]][] = [
      ['sliding-log', 'sliding-log', rule.windows],
      ['sliding-window', 'sliding-window', rule.windows],
      ['token-bucket', 'token-bucket', buckets],
      ['token bucket with sliding-log windows', 'sliding-log', [bucket1, window2, window3]],
      ['token bucket with sliding-window windows', 'sliding-window', [window1, bucket2, window3]],
    ];
    for (const [label, algorithm, limits] of cases) {
      const limiter = new RateLimiter({ name: `edge-${label.replaceAll(' ', '-')}`, registry: false, algorithm, limits, store: new RedisStore({ redis: cluster, timeoutMs: 2_000 }) });
      for (const userKey of userKeys) {
        const slots = await Promise.all(store.keysFor(userKey, limiter.rule).map((key) => cluster.cluster('KEYSLOT', key)));
        expect(new Set(slots).size, `${label} ${JSON.stringify(userKey)}`).toBe(1);
      }
      const answers = await Promise.all(Array.from({ length: 4 }, () => limiter.consume('')));
      expect(answers.map((answer) => answer.allowed).sort(), label).toEqual([false, false, true, true]);
      expect(limiter.stats()).toMatchObject({ storeErrors: 0 });
    }
  });

  it('admits exactly limit of 200 concurrent consume() calls on one key', async () => {
    const store = new RedisStore({ redis: clients[0] as Cluster, namespace: 'burst', timeoutMs: 5_000 });
    const rule: RateLimitRule = { algorithm: 'sliding-log', windows: [{ limit: 50, windowMs: 30_000 }] };
    const results = await Promise.all(Array.from({ length: 200 }, () => store.consume('hot', 1, rule)));
    expect(results.filter((result) => result.allowed)).toHaveLength(50);
  });
});

/** The Cluster slot of `key` (CRC16 of its hash tag, mod 16384). */
function slotOf(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const tagged = open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(tagged)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
