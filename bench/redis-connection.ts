/**
 * What every Redis row of the bench shares: the server, a key prefix unique to the run, whether
 * the server answered, and the lifecycle of a group's connection (opened in a row's `setup`, the
 * run's keys deleted and the connection closed in its `teardown`).
 * @module
 */
import { Redis } from 'ioredis';

/** The Redis the Redis rows talk to. */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * First part of every Redis key this run creates (unique per run, no `{`/`}`; a metrics sink
 * wraps it in a hash tag); every key under it is deleted (SCAN + DEL) at the end of each phase of
 * the Redis rows.
 */
export const REDIS_PREFIX = `bulwark-bench-${process.pid}-${Date.now().toString(36)}-`;

const ignore = (): void => {};

/** Whether {@link REDIS_URL} answered a PING when this module loaded (the Redis rows need it). */
export const redisAnswers: boolean = await (async () => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', ignore);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
})();

/** Deletes every key matching `pattern` (SCAN + DEL; never FLUSHDB or KEYS). */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Deletes every key under {@link REDIS_PREFIX}, with or without a hash tag around it (a metrics sink's keys start with `{prefix}`). */
async function deleteBenchKeys(redis: Redis): Promise<void> {
  await deleteKeys(redis, `${REDIS_PREFIX}*`);
  await deleteKeys(redis, `{${REDIS_PREFIX}*`);
}

/**
 * Settles when every connection's clean-up started so far has finished. A teardown deletes every
 * key of the run in the background, so a `setup` that wrote its keys before another group's
 * clean-up finished would see them deleted under its rows (which would then read nothing).
 */
let cleanedUp: Promise<void> = Promise.resolve();

/**
 * Settles when every clean-up of a {@link benchConnection} started so far has finished: a row that
 * writes under {@link REDIS_PREFIX} on a connection of its own awaits it before writing.
 */
export function cleanUpsDone(): Promise<void> {
  return cleanedUp;
}

/** A group's connection and the `setup` / `teardown` its rows share. */
export interface BenchConnection<R extends Redis = Redis> {
  readonly redis: R;
  /** Connects (after the previous phase's close, and every other connection's clean-up, has finished); then runs `prepare`, if any. */
  readonly setup: () => Promise<void>;
  /** Deletes the run's keys and closes the connection; runs once per phase however many rows call it. */
  readonly teardown: () => void;
}

/**
 * One ioredis connection for a group of rows: lazily connected, opened in `setup` (each phase) and,
 * in `teardown`, the run's keys deleted and the connection closed (the next `setup` waits for it).
 * @param options - `autoPipelining`: ioredis's `enableAutoPipelining` (default off)
 * @param prepare - run after each connect, e.g. to write the keys the rows read
 */
export function benchConnection<R extends Redis = Redis>(
  options: { readonly autoPipelining?: boolean } = {},
  prepare?: (redis: R) => Promise<void>,
): BenchConnection<R> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, enableAutoPipelining: options.autoPipelining ?? false }) as R;
  redis.on('error', ignore);
  let closing: Promise<void> = Promise.resolve();
  // Whether the connection is open and not yet being closed (teardown runs once per phase).
  let open = false;
  return {
    redis,
    setup: async () => {
      await closing;
      await cleanedUp;
      if (redis.status === 'wait' || redis.status === 'end') await redis.connect();
      open = true;
      await prepare?.(redis);
    },
    teardown: () => {
      if (!open) return;
      open = false;
      // `quit()` resolves on Redis's OK, before the client reaches `end` (when it may connect again).
      const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
      closing = deleteBenchKeys(redis)
        .then(
          () => redis.quit().then(ignore),
          (error: unknown) => {
            redis.disconnect();
            throw error;
          },
        )
        .then(() => ended);
      cleanedUp = Promise.all([cleanedUp, closing.catch(ignore)]).then(ignore);
    },
  };
}
