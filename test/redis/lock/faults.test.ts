import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { setLogger } from '../../../src/index';
import { Lock, LockLostError } from '../../../src/redis/index';
import { redisCommands } from '../../support/redis-server';
import { useThrowAwayServer } from '../support';
import { rejectionOf, untilGone } from './support';

describe('Lock when Redis is slow, starting or gone (throw-away server)', () => {
  const fixture = useThrowAwayServer();

  it('waits for a connection that is still connecting instead of failing', async () => {
    const starting = new Redis(fixture.server.url, { enableOfflineQueue: false });
    try {
      expect(starting.status).toBe('connecting');
      const lock = new Lock({ redis: starting, prefix: 'starting', registry: false });
      const lease = await lock.acquire('k', { ttlMs: 5_000 });
      expect(await lease.release()).toBe(true);
    } finally {
      starting.disconnect();
    }
  });

  it('fails within timeoutMs when Redis stalls, and releases the lock the stalled attempt took later', async () => {
    const lock = new Lock({ redis: fixture.redis, prefix: 'stalled', timeoutMs: 50, registry: false });
    const keys = lock.keysFor('k');
    await redisCommands(fixture.server.url, [['CLIENT', 'PAUSE', '250', 'ALL']]);
    const started = Date.now();
    const error = await rejectionOf(lock.acquire('k', { ttlMs: 60_000 }));
    expect(Date.now() - started).toBeLessThan(50 + 50);
    expect(error).toMatchObject({ code: 'LOCK_UNAVAILABLE', message: 'Redis did not answer within 50 ms' });
    // Once the pause ends the script runs and takes the lock; its late reply gives it back.
    await untilGone(fixture.redis, keys.lock, 2_000);
    expect(await fixture.redis.get(keys.fence)).toBe('1');
    expect(lock.stats()).toMatchObject({ acquired: 0, held: 0 });
  });

  it("aborts withLock's signal at the lease's expiry when Redis dies, and still ends with fn's value", async () => {
    const warnings: string[] = [];
    setLogger({ error: () => {}, warn: (_, message) => warnings.push(message ?? ''), info: () => {}, debug: () => {} });
    try {
      const lock = new Lock({ redis: fixture.redis, prefix: 'killed', timeoutMs: 30, registry: false });
      const started = Date.now();
      const reason = await lock.withLock(
        'k',
        async ({ signal }) => {
          await fixture.server.stop({ kill: true });
          return new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
        },
        { ttlMs: 150, extendEveryMs: 40 },
      );
      expect(reason).toBeInstanceOf(LockLostError);
      expect(reason).toMatchObject({ reason: 'expired', cause: { name: 'LockUnavailableError' } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(145);
      expect(Date.now() - started).toBeLessThan(150 + 200);
      expect(warnings).toEqual([
        'bulwark: a lock lease expired before it could be extended',
        'bulwark: a lock lease could not be released; it expires by its ttl',
      ]);
      expect(lock.stats()).toMatchObject({ acquired: 1, lost: 1, held: 0 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(fixture.unhandled).toEqual([]);
    } finally {
      setLogger();
    }
  });
});
