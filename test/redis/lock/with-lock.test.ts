import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { setLogger } from '../../../src/index';
import { Lock, LockLostError, LockTimeoutError, type LockLostEvent, type LockOptions } from '../../../src/redis/index';
import { connect, deleteUnder, sleep, uniquePrefix } from '../support';
import { rejectionOf } from './support';

let redis: Redis;
const prefix = uniquePrefix('with-lock');

beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
});

afterAll(async () => {
  await deleteUnder(redis, prefix);
  redis.disconnect();
});

const make = (options: Partial<LockOptions> = {}): Lock =>
  new Lock({ redis, prefix, registry: false, retryDelayMs: 5, maxRetryDelayMs: 20, ...options });

/** Resolves with `signal.reason` once `signal` aborts. */
function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

describe('Lock.withLock', () => {
  it("returns fn's result, gives fn the lease and releases it afterwards", async () => {
    const lock = make();
    const keys = lock.keysFor('job');
    const result = await lock.withLock(
      'job',
      async ({ lease, signal }) => {
        expect(await redis.get(keys.lock)).toBe(lease.token);
        expect(signal.aborted).toBe(false);
        return `done with fence ${lease.fence}`;
      },
      { ttlMs: 5_000 },
    );
    expect(result).toBe('done with fence 1');
    expect(await redis.exists(keys.lock)).toBe(0);
    expect(lock.stats()).toMatchObject({ acquired: 1, released: 1, held: 0 });
  });

  it('extends the lease while fn runs longer than ttlMs', async () => {
    const lock = make();
    const keys = lock.keysFor('long-job');
    const extended: number[] = [];
    await lock.withLock(
      'long-job',
      async ({ lease, signal }) => {
        for (let i = 0; i < 4; i++) {
          await sleep(60);
          extended.push(await redis.pttl(keys.lock));
        }
        expect(signal.aborted).toBe(false);
        expect(lease.held).toBe(true);
      },
      { ttlMs: 90, extendEveryMs: 20 },
    );
    // 240 ms after acquiring a 90 ms lease, its key still carries a live ttl.
    expect(extended.every((pttl) => pttl > 0)).toBe(true);
    expect(await redis.exists(keys.lock)).toBe(0);
  });

  it("aborts fn's signal with LockLostError when the key is taken behind its back, and another holder may then lock", async () => {
    const lock = make();
    const keys = lock.keysFor('stolen');
    const lost: LockLostEvent[] = [];
    lock.events.on('lost', (event) => lost.push(event));
    const outcome = await lock.withLock(
      'stolen',
      async ({ signal, lease }) => {
        await redis.set(keys.lock, 'someone else', 'PX', 5_000);
        const reason = await aborted(signal);
        return { reason, fence: lease.fence };
      },
      { ttlMs: 1_000, extendEveryMs: 10 },
    );
    expect(outcome.reason).toBeInstanceOf(LockLostError);
    expect(outcome.reason).toMatchObject({ code: 'LOCK_LOST', reason: 'notHeld', key: 'stolen', fence: outcome.fence });
    expect(lost).toEqual([expect.objectContaining({ type: 'lost', patternType: 'lock', key: 'stolen', reason: 'notHeld' })]);
    // The release in finally left the other holder's lock alone.
    expect(await redis.get(keys.lock)).toBe('someone else');
    await redis.del(keys.lock);
    expect(lock.stats()).toMatchObject({ acquired: 1, released: 0, lost: 1, held: 0 });
  });

  it('declares the lease lost at its expiry when every extend fails, and still returns what fn returns', async () => {
    const warnings: string[] = [];
    setLogger({ error: () => {}, warn: (_, message) => warnings.push(message ?? ''), info: () => {}, debug: () => {} });
    try {
      const lock = make();
      const keys = lock.keysFor('failing-extends');
      const started = Date.now();
      const reason = await lock.withLock(
        'failing-extends',
        async ({ signal }) => {
          // The key turns into a hash: every extend (and the final release) fails with WRONGTYPE.
          await redis.del(keys.lock);
          await redis.hset(keys.lock, 'field', 'value');
          return aborted(signal);
        },
        { ttlMs: 100, extendEveryMs: 20 },
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(95);
      expect(reason).toMatchObject({ name: 'LockLostError', reason: 'expired' });
      expect((reason as LockLostError).cause).toMatchObject({ name: 'LockUnavailableError', message: expect.stringMatching(/WRONGTYPE/) });
      expect(warnings).toContain('bulwark: a lock lease could not be released; it expires by its ttl');
      await redis.del(keys.lock);
    } finally {
      setLogger();
    }
  });

  it("releases the lease when fn throws, and rejects with fn's error", async () => {
    const lock = make();
    const failure = new Error('payment declined');
    await expect(
      lock.withLock(
        'throws',
        () => {
          throw failure;
        },
        { ttlMs: 5_000 },
      ),
    ).rejects.toBe(failure);
    expect(await redis.exists(lock.keysFor('throws').lock)).toBe(0);
    expect(lock.stats()).toMatchObject({ released: 1, held: 0 });
  });

  it("passes a caller's abort to fn's signal, rejects with its reason and releases", async () => {
    const lock = make();
    const controller = new AbortController();
    const reason = new Error('client went away');
    const running = lock.withLock(
      'cancelled',
      async ({ signal }) => {
        controller.abort(reason);
        throw await aborted(signal);
      },
      { ttlMs: 5_000, signal: controller.signal },
    );
    await expect(running).rejects.toBe(reason);
    expect(await redis.exists(lock.keysFor('cancelled').lock)).toBe(0);
  });

  it("rejects with the caller's reason when it aborts while waiting, and with LockTimeoutError when the wait runs out, never running fn", async () => {
    const lock = make();
    const holder = await lock.acquire('queued', { ttlMs: 5_000 });
    let ran = 0;
    const fn = (): void => {
      ran++;
    };
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const waiting = lock.withLock('queued', fn, { ttlMs: 5_000, waitMs: 10_000, signal: controller.signal });
    await sleep(20);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(await rejectionOf(lock.withLock('queued', fn, { ttlMs: 5_000, waitMs: 30 }))).toBeInstanceOf(LockTimeoutError);
    expect(ran).toBe(0);
    expect(await redis.get(lock.keysFor('queued').lock)).toBe(holder.token);
    await holder.release();
  });

  it('refuses an extendEveryMs that is not below ttlMs, naming it', async () => {
    const lock = make();
    const error = await rejectionOf(lock.withLock('k', () => 1, { ttlMs: 100, extendEveryMs: 100 }));
    expect(error).toMatchObject({ name: 'ConfigError', issues: [{ path: 'extendEveryMs', message: 'must be below ttlMs (100), got 100' }] });
  });
});
