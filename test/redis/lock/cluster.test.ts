import { describe, expect, it } from 'vitest';
import { Lock, LockTimeoutError } from '../../../src/redis/index';
import { useThrowAwayCluster } from '../../support/redis-cluster';

const MASTERS = 3;

describe('Lock on a 3-master Redis Cluster', () => {
  const fixture = useThrowAwayCluster(MASTERS);

  it('acquires, extends, refuses and releases locks whose keys spread over every master, any key included, without CROSSSLOT', async () => {
    const { cluster } = fixture;
    const lock = new Lock({ redis: cluster, prefix: 'app:locks', timeoutMs: 2_000, registry: false });
    const keys = ['', '{', '}', '{}', 'a}b', 'é'.repeat(65), ...Array.from({ length: 30 }, (_, i) => `order-${i}`)];
    const owners = new Set<string>();
    for (const key of keys) {
      const { lock: lockKey, fence: fenceKey } = lock.keysFor(key);
      const [lockSlot, fenceSlot] = await Promise.all([cluster.cluster('KEYSLOT', lockKey), cluster.cluster('KEYSLOT', fenceKey)]);
      expect(lockSlot, JSON.stringify(key)).toBe(fenceSlot);
      owners.add(String(cluster.slots[Number(lockSlot)]?.[0]));

      const lease = await lock.acquire(key, { ttlMs: 5_000 });
      expect(lease.fence).toBe(1);
      expect(await lease.extend(10_000)).toBe(true);
      expect(await cluster.pttl(lockKey)).toBeGreaterThan(9_000);
      await expect(lock.acquire(key, { ttlMs: 5_000 })).rejects.toBeInstanceOf(LockTimeoutError);
      expect(await lease.release()).toBe(true);
      expect(await cluster.exists(lockKey)).toBe(0);
      expect((await lock.acquire(key, { ttlMs: 5_000 })).fence).toBe(2);
    }
    expect(owners.size).toBe(MASTERS);
    expect(lock.stats()).toMatchObject({ acquired: 2 * keys.length, released: keys.length, rejected: keys.length });
  });

  it('hands one key from holder to holder under 20 concurrent withLock calls, each fence once', async () => {
    const lock = new Lock({ redis: fixture.cluster, prefix: 'app:locks', timeoutMs: 2_000, retryDelayMs: 2, maxRetryDelayMs: 10, registry: false });
    let inside = 0;
    let most = 0;
    const fences = await Promise.all(
      Array.from({ length: 20 }, () =>
        lock.withLock(
          'hot',
          async ({ lease }) => {
            most = Math.max(most, ++inside);
            await new Promise((resolve) => setTimeout(resolve, 2));
            inside--;
            return lease.fence;
          },
          { ttlMs: 5_000, waitMs: 10_000 },
        ),
      ),
    );
    expect(most).toBe(1);
    expect([...fences].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
