import type { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isBulwarkError, isRejectedError } from '../../../src/index';
import { Lock, LockTimeoutError, type LockEvents, type LockOptions } from '../../../src/redis/index';
import { connect, deleteUnder, uniquePrefix } from '../support';
import { rejectionOf, untilGone } from './support';

let redis: Redis;
let redis5: Redis5;
const prefix = uniquePrefix('lock');

beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
  redis5 = new Redis5(inject('redisUrl'), { enableOfflineQueue: false, lazyConnect: true });
  await redis5.connect();
});

afterAll(async () => {
  await deleteUnder(redis, prefix);
  redis.disconnect();
  redis5.disconnect();
});

/** Every event of `lock`, as `type key fence` lines. */
function record(lock: Lock): string[] {
  const seen: string[] = [];
  lock.events.on('*', (type, event: LockEvents[keyof LockEvents]) => {
    seen.push(`${type} ${event.key}${'fence' in event ? ` ${event.fence}` : ''}`);
  });
  return seen;
}

for (const [label, client] of [
  ['ioredis 6', () => redis],
  ['ioredis 5', () => redis5 as unknown as Redis],
] as const) {
  describe(`Lock (${label})`, () => {
    const make = (options: Partial<LockOptions> = {}): Lock =>
      new Lock({ redis: client(), prefix: `${prefix}:${label.replace(' ', '')}`, registry: false, ...options });

    it('gives each acquisition a random token and a fence one above the last, and release frees the key', async () => {
      const lock = make();
      const keys = lock.keysFor('order-1');
      const first = await lock.acquire('order-1', { ttlMs: 5_000 });
      expect(first.token).toMatch(/^[0-9a-f]{32}$/);
      expect(first.fence).toBe(1);
      expect(await redis.get(keys.lock)).toBe(first.token);
      const pttl = await redis.pttl(keys.lock);
      expect(pttl).toBeGreaterThan(4_000);
      expect(pttl).toBeLessThanOrEqual(5_000);
      expect(first.expiresAt - first.acquiredAt).toBe(5_000);
      expect(await first.release()).toBe(true);
      expect(await redis.exists(keys.lock)).toBe(0);
      expect(await first.release()).toBe(false);

      const second = await lock.acquire('order-1', { ttlMs: 5_000 });
      expect(second.fence).toBe(2);
      expect(second.token).not.toBe(first.token);
      await second.release();
      expect(lock.stats()).toEqual({ acquired: 2, released: 2, lost: 0, rejected: 0, held: 0, waiting: 0 });
    });

    it('refuses a held lock at once without waitMs, with a LockTimeoutError that is a refusal', async () => {
      const lock = make();
      const seen = record(lock);
      const holder = await lock.acquire('busy', { ttlMs: 5_000 });
      const error = await rejectionOf(lock.acquire('busy', { ttlMs: 5_000 }));
      expect(error).toBeInstanceOf(LockTimeoutError);
      expect(error).toMatchObject({ code: 'LOCK_TIMEOUT', reason: 'lockHeld', key: 'busy', policyName: lock.name });
      expect(isRejectedError(error)).toBe(true);
      const retryAfterMs = (error as LockTimeoutError).retryAfterMs;
      expect(retryAfterMs).toBeGreaterThan(4_000);
      expect(retryAfterMs).toBeLessThanOrEqual(5_000);
      expect(await redis.get(lock.keysFor('busy').lock)).toBe(holder.token);
      await holder.release();
      expect(seen).toEqual(['acquired busy 1', 'contended busy', 'rejected busy', 'released busy 1']);
      expect(lock.stats()).toMatchObject({ acquired: 1, released: 1, rejected: 1, held: 0 });
    });

    it('lets neither release nor extend of an expired lease touch the next holder, and reports it lost', async () => {
      const lock = make();
      const seen = record(lock);
      const keys = lock.keysFor('expiring');
      const old = await lock.acquire('expiring', { ttlMs: 30 });
      await untilGone(redis, keys.lock);
      expect(old.held).toBe(false);
      const next = await lock.acquire('expiring', { ttlMs: 5_000 });
      expect(next.fence).toBe(old.fence + 1);

      expect(await old.extend(5_000)).toBe(false);
      expect(await old.release()).toBe(false);
      expect(await redis.get(keys.lock)).toBe(next.token);
      expect(await redis.pttl(keys.lock)).toBeGreaterThan(4_000);

      expect(await next.extend(8_000)).toBe(true);
      expect(await redis.pttl(keys.lock)).toBeGreaterThan(7_000);
      expect(await next.release()).toBe(true);
      expect(seen).toEqual(['acquired expiring 1', 'acquired expiring 2', 'lost expiring 1', 'released expiring 2']);
      expect(lock.stats()).toMatchObject({ acquired: 2, released: 1, lost: 1, held: 0 });
    });

    it('extend moves both the key expiry and expiresAt', async () => {
      const lock = make();
      const lease = await lock.acquire('extended', { ttlMs: 200 });
      const before = lease.expiresAt;
      expect(await lease.extend(10_000)).toBe(true);
      expect(lease.expiresAt).toBeGreaterThanOrEqual(before + 9_000);
      expect(await redis.pttl(lock.keysFor('extended').lock)).toBeGreaterThan(9_000);
      expect(lease.held).toBe(true);
      await lease.release();
      expect(await lease.extend(10_000)).toBe(false);
      expect(lease.held).toBe(false);
    });

    it('waits for a holder that releases, and the waiter gets the next fence', async () => {
      const lock = make({ retryDelayMs: 5, maxRetryDelayMs: 20 });
      const holder = await lock.acquire('handover', { ttlMs: 5_000 });
      const waiter = lock.acquire('handover', { ttlMs: 5_000, waitMs: 5_000 });
      await untilWaiting(lock);
      expect(await holder.release()).toBe(true);
      const lease = await waiter;
      expect(lease.fence).toBe(holder.fence + 1);
      expect(lock.stats()).toMatchObject({ waiting: 0, held: 1 });
      await lease.release();
    });

    it("takes over a crashed holder's lock as soon as its ttl runs out", async () => {
      const lock = make({ retryDelayMs: 50, maxRetryDelayMs: 1_000 });
      await lock.acquire('crashed', { ttlMs: 60 });
      const started = Date.now();
      const lease = await lock.acquire('crashed', { ttlMs: 5_000, waitMs: 5_000 });
      // The pause never outlasts the holder's remaining ttl, whatever the backoff says.
      expect(Date.now() - started).toBeLessThan(400);
      await lease.release();
    });

    it('gives up after waitMs with LockTimeoutError, holding nothing', async () => {
      const lock = make({ retryDelayMs: 5, maxRetryDelayMs: 20 });
      const holder = await lock.acquire('long', { ttlMs: 5_000 });
      const started = Date.now();
      const error = await rejectionOf(lock.acquire('long', { ttlMs: 5_000, waitMs: 80 }));
      expect(error).toMatchObject({ name: 'LockTimeoutError', reason: 'lockHeld' });
      expect((error as LockTimeoutError).waitedMs).toBeGreaterThanOrEqual(80);
      expect(Date.now() - started).toBeLessThan(80 + 200);
      expect(await redis.get(lock.keysFor('long').lock)).toBe(holder.token);
      expect(lock.stats()).toMatchObject({ waiting: 0, held: 1, rejected: 1 });
      await holder.release();
      expect(await redis.exists(lock.keysFor('long').lock)).toBe(0);
    });

    it("rejects a waiting acquire with the signal's reason when it aborts, holding nothing", async () => {
      const lock = make({ retryDelayMs: 5, maxRetryDelayMs: 20 });
      const holder = await lock.acquire('aborted', { ttlMs: 5_000 });
      const controller = new AbortController();
      const waiter = lock.acquire('aborted', { ttlMs: 5_000, waitMs: 10_000, signal: controller.signal });
      await untilWaiting(lock);
      const reason = new Error('client went away');
      controller.abort(reason);
      await expect(waiter).rejects.toBe(reason);
      expect(lock.stats()).toMatchObject({ waiting: 0, held: 1 });
      await holder.release();
      expect(await redis.exists(lock.keysFor('aborted').lock)).toBe(0);
      await expect(lock.acquire('aborted', { ttlMs: 5_000, signal: controller.signal })).rejects.toBe(reason);
      expect(await redis.exists(lock.keysFor('aborted').lock)).toBe(0);
    });

    it('releases a lock taken in the same instant as the abort', async () => {
      const lock = make();
      const keys = lock.keysFor('raced');
      const controller = new AbortController();
      const acquiring = lock.acquire('raced', { ttlMs: 5_000, signal: controller.signal });
      // The script is already on its way: it takes the lock, but the caller has gone.
      controller.abort(new Error('gone'));
      await expect(acquiring).rejects.toThrow('gone');
      await untilGone(redis, keys.lock, 500);
      expect(await redis.get(keys.fence)).toBe('1');
      expect(lock.stats()).toMatchObject({ acquired: 0, held: 0 });
    });

    it('keeps one lock per key for empty, braced, long and numeric keys, apart from plain keys equal to their hash', async () => {
      const lock = make();
      const odd = ['', 'a}b', '{x}', 'ü'.repeat(100)];
      const leases = await Promise.all(odd.map((key) => lock.acquire(key, { ttlMs: 5_000 })));
      for (const key of odd) {
        const { lock: lockKey, fence } = lock.keysFor(key);
        const tag = /\{([^}]+)\}/.exec(lockKey)?.[1];
        expect(tag, lockKey).toBeDefined();
        expect(fence).toBe(lockKey.replace(/:lock$/, ':fence'));
        await expect(lock.acquire(key, { ttlMs: 5_000 })).rejects.toBeInstanceOf(LockTimeoutError);
        // The hash of a hashed key is not the same lock as that key.
        if (key !== '{x}') {
          const hashedAs = tag as string;
          const plain = await lock.acquire(hashedAs, { ttlMs: 5_000 });
          await plain.release();
        }
      }
      const numeric = await lock.acquire(42, { ttlMs: 5_000 });
      await expect(lock.acquire('42', { ttlMs: 5_000 })).rejects.toBeInstanceOf(LockTimeoutError);
      await Promise.all([...leases, numeric].map((lease) => lease.release()));
    });

    it('releases the lease at the end of an await using block', async () => {
      const lock = make();
      {
        await using lease = await lock.acquire('scoped', { ttlMs: 5_000 });
        expect(await redis.get(lock.keysFor('scoped').lock)).toBe(lease.token);
      }
      expect(await redis.exists(lock.keysFor('scoped').lock)).toBe(0);
    });

    it('dispose() releases held leases, ends waits and refuses later acquires with LockUnavailableError', async () => {
      const lock = make({ retryDelayMs: 5, maxRetryDelayMs: 20 });
      const held = await lock.acquire('disposed', { ttlMs: 5_000 });
      const waiting = rejectionOf(lock.acquire('disposed', { ttlMs: 5_000, waitMs: 10_000 }));
      await untilWaiting(lock);
      await lock.dispose();
      expect(await waiting).toMatchObject({ name: 'LockUnavailableError', code: 'LOCK_UNAVAILABLE' });
      expect(await redis.exists(lock.keysFor('disposed').lock)).toBe(0);
      expect(held.held).toBe(false);
      const later = await rejectionOf(lock.acquire('other', { ttlMs: 5_000 }));
      expect(isBulwarkError(later, 'LOCK_UNAVAILABLE')).toBe(true);
      expect(lock.stats()).toMatchObject({ released: 1, held: 0, waiting: 0 });
    });
  });
}

/** Waits until `lock` has an acquire waiting (its first attempt found the lock held). */
async function untilWaiting(lock: Lock): Promise<void> {
  for (let i = 0; lock.stats().waiting === 0; i++) {
    if (i > 400) throw new Error('no acquire started waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
