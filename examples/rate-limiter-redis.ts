/**
 * One rate limit shared by several processes through Redis: `RedisStore` from `bulwark/redis`.
 *
 * - Two limiters stand for two processes of one service: each has its own ioredis connection and
 *   its own `RedisStore`, and both use the limiter name `checkout`, which is part of every key,
 *   so they count together: 5 checkouts per 10 s per user across the whole service.
 * - One Lua script per decision checks and consumes atomically on the server, by the server's
 *   clock, so the processes agree even under concurrent calls.
 * - The connections are made with `enableOfflineQueue: false` (a decision must never wait in
 *   ioredis's queue and be replayed later) and connected before the first decision. The example
 *   uses its own key prefix, deletes its keys at the end and closes its connections; the store
 *   itself never connects or closes a client you pass it.
 *
 * Needs Redis at `REDIS_URL` (default `redis://127.0.0.1:6379`).
 * Run it: `npx tsx examples/rate-limiter-redis.ts`
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { RateLimiter } from 'bulwark';
import { RedisStore } from 'bulwark/redis';

export interface RateLimiterRedisResult {
  /** alice's 8 checkouts, 4 through each process, alternating: which were allowed. */
  readonly decisions: readonly { readonly process: string; readonly allowed: boolean; readonly remaining: number }[];
  /** bob's first checkout: his own count. */
  readonly bobAllowed: boolean;
  /** The Redis keys of alice's decision, relative to the example's own prefix. */
  readonly keys: readonly string[];
  /** Keys under the example's prefix after its cleanup. */
  readonly keysLeft: number;
}

/** A connected client that never queues a command while disconnected. */
async function connect(url: string): Promise<Redis> {
  const redis = new Redis(url, { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  return redis;
}

/** Every key under `prefix`, with SCAN (never KEYS on a shared server). */
async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

export async function main(url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'): Promise<RateLimiterRedisResult> {
  const prefix = `bulwark-example-${randomBytes(4).toString('hex')}`;
  const clients = [await connect(url), await connect(url)];
  try {
    const processes = clients.map(
      (redis, n) =>
        [
          `process-${n + 1}`,
          new RateLimiter({ name: 'checkout', limit: 5, windowMs: 10_000, store: new RedisStore({ redis, prefix }), registry: false }),
        ] as const,
    );

    const decisions: { process: string; allowed: boolean; remaining: number }[] = [];
    for (let i = 0; i < 8; i++) {
      const [process, limiter] = processes[i % 2] as (typeof processes)[number];
      const { allowed, remaining } = await limiter.consume('alice');
      decisions.push({ process, allowed, remaining });
    }
    const [, limiter] = processes[0] as (typeof processes)[number];
    const { allowed: bobAllowed } = await limiter.consume('bob');

    const redis = clients[0] as Redis;
    const keys = (await keysUnder(redis, prefix)).filter((key) => key.includes('{alice}')).map((key) => key.slice(prefix.length));
    const all = await keysUnder(redis, prefix);
    if (all.length > 0) await redis.del(...all);
    return { decisions, bobAllowed, keys, keysLeft: (await keysUnder(redis, prefix)).length };
  } finally {
    await Promise.all(clients.map((redis) => redis.quit()));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
