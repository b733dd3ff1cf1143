import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server';

/** A key prefix no other test uses, so that cleanup touches only this test's keys. */
export function uniquePrefix(label: string): string {
  return `bulwark-test:${label}:${randomBytes(4).toString('hex')}`;
}

/** A connected ioredis client that never queues commands while disconnected and reconnects every 50 ms. */
export async function connect(url: string, options: { autoPipelining?: boolean } = {}): Promise<Redis> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    enableAutoPipelining: options.autoPipelining ?? false,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
  });
  await redis.connect();
  return redis;
}

/** Every key under `prefix`, found with SCAN (never KEYS). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

/** Deletes every key under `prefix` (SCAN + DEL): the shared server is never flushed. */
export async function deleteUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What {@link useSharedRedis} provides, filled in by its `beforeAll`. */
export interface SharedRedis {
  /** The suite's own key prefix; every key under it is deleted in `afterAll`. */
  readonly prefix: string;
  /** A connection to the shared server (see {@link connect}), for setting up and checking keys. */
  redis: Redis;
}

/**
 * The shared server (`inject('redisUrl')`) for the enclosing suite: a connection opened in
 * `beforeAll`, and in `afterAll` the suite's keys deleted and the connection closed.
 */
export function useSharedRedis(url: string, label: string): SharedRedis {
  const fixture = { prefix: uniquePrefix(label) } as SharedRedis;
  beforeAll(async () => {
    fixture.redis = await connect(url);
  });
  afterAll(async () => {
    await deleteUnder(fixture.redis, fixture.prefix);
    fixture.redis.disconnect();
  });
  return fixture;
}

/** What {@link useThrowAwayServer} provides, filled in by its `beforeAll`. */
export interface ThrowAwayRedis {
  server: RedisServerHandle;
  /** A connection to it (see {@link connect}) whose `error` events are ignored. */
  redis: Redis;
  /** Every unhandled rejection of the process while the suite runs. */
  readonly unhandled: unknown[];
}

/**
 * A throw-away redis-server for the enclosing `describe`: started with a connection in `beforeAll`,
 * stopped in `afterAll`, recording unhandled rejections in between.
 */
export function useThrowAwayServer(): ThrowAwayRedis {
  const fixture = { unhandled: [] as unknown[] } as ThrowAwayRedis;
  const onUnhandled = (reason: unknown): void => {
    fixture.unhandled.push(reason);
  };
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    fixture.server = await startRedisServer();
    fixture.redis = await connect(fixture.server.url);
    fixture.redis.on('error', () => {});
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    fixture.redis.disconnect();
    await fixture.server.stop();
  });
  return fixture;
}
