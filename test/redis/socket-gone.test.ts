import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Cache, CACHE_DEFAULTS, Lock } from '../../src/redis/index';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server';
import { heldCommands } from './guard-support';

const servers: RedisServerHandle[] = [];
const clients: Redis[] = [];

afterEach(async () => {
  for (const redis of clients.splice(0)) redis.disconnect();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

/** What a call made as the killed server's socket closed saw and got. */
interface CallAsSocketCloses {
  /** The connection's status when the call was made. */
  readonly status: string;
  readonly error: unknown;
  /** How long the call took to fail, in ms. */
  readonly failedAfterMs: number;
  /** Commands ioredis held in its offline queue once the call had failed. */
  readonly offline: number;
}

/**
 * Kills a throw-away server under a ready connection with ioredis's defaults (offline queue on)
 * and makes `call` with it in the moment its socket closes, before ioredis sees that (its status
 * still says ready). `make` builds what calls, on the connection, while the server is up.
 */
async function callAsSocketCloses<T>(make: (redis: Redis) => T, call: (made: T) => Promise<unknown>): Promise<CallAsSocketCloses> {
  const server = await startRedisServer();
  servers.push(server);
  const redis = new Redis(server.url, { retryStrategy: () => 50 });
  redis.on('error', () => {});
  clients.push(redis);
  await redis.ping();
  const made = make(redis);
  const outcome = new Promise<CallAsSocketCloses>((resolve) => {
    (redis as unknown as { stream: Redis['stream'] }).stream.prependOnceListener('close', () => {
      const status = redis.status;
      const startedAt = performance.now();
      call(made).then(
        () => resolve({ status, error: undefined, failedAfterMs: Number.NaN, offline: heldCommands(redis).offline }),
        (error: unknown) => resolve({ status, error, failedAfterMs: performance.now() - startedAt, offline: heldCommands(redis).offline }),
      );
    });
  });
  await server.stop({ kill: true });
  return outcome;
}

describe('a call made while ioredis says ready but the killed server is gone', () => {
  it('fails a Lock acquire at once, well within its timeout, with nothing in the offline queue', async () => {
    const timeoutMs = 5_000;
    const seen = await callAsSocketCloses(
      (redis) => new Lock({ redis, prefix: 'socket-gone', timeoutMs, registry: false }),
      (lock) => lock.acquire('k', { ttlMs: 60_000 }),
    );
    expect(seen.status).toBe('ready');
    expect(seen.error).toMatchObject({ code: 'LOCK_UNAVAILABLE', message: expect.stringMatching(/is closing/) });
    expect(seen.failedAfterMs).toBeLessThan(timeoutMs / 5);
    expect(seen.offline).toBe(0);
  });

  it('fails an unbatched Cache read at once, before its Redis timeout, with nothing in the offline queue', async () => {
    const seen = await callAsSocketCloses(
      (redis) => new Cache({ redis, prefix: 'socket-gone', ttlMs: 60_000, batchReads: false, onRedisError: 'throw', registry: false }),
      (cache) => cache.get('k'),
    );
    expect(seen.status).toBe('ready');
    expect(seen.error).toMatchObject({ message: expect.stringMatching(/^Redis connection is closing/) });
    expect(seen.failedAfterMs).toBeLessThan(CACHE_DEFAULTS.redisTimeoutMs);
    expect(seen.offline).toBe(0);
  });
});
