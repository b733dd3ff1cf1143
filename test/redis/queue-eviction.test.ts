/**
 * BullMQ's production guide: an evicted job hash is a lost job, so a queue on a Redis whose
 * `maxmemory-policy` may evict keys says so when its first worker starts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLogger } from '../../src/index';
import { useThrowAwayServer } from './support';
import { testQueue } from './queue-support';

describe('RedisQueue on a Redis that may evict keys', () => {
  const fixture = useThrowAwayServer();
  const warnings: { fields: unknown; message: string | undefined }[] = [];

  afterEach(async () => {
    setLogger();
    warnings.length = 0;
    await fixture.redis.config('SET', 'maxmemory-policy', 'noeviction');
  });

  function recordWarnings(): void {
    setLogger({ error: () => {}, warn: (fields, message) => warnings.push({ fields, message }), info: () => {}, debug: () => {} });
  }

  it('warns once, naming the queue and the policy, when the first worker starts', async () => {
    await fixture.redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    recordWarnings();
    const queue = testQueue(fixture.redis, 'evicting');
    const first = queue.process(async () => {});
    const second = queue.process(async () => {});
    await vi.waitFor(() => expect(warnings).toHaveLength(1));
    expect(warnings[0]).toEqual({
      fields: { queue: 'evicting', policy: 'allkeys-lru' },
      message: 'bulwark: Redis may evict keys (maxmemory-policy is not noeviction): jobs can be lost',
    });
    await Promise.all([first.close(), second.close()]);
    // The second worker's start asked nothing: still one warning after both have run and closed.
    await fixture.redis.ping();
    expect(warnings).toHaveLength(1);
    await queue.cleanup();
  });

  it('says nothing under noeviction', async () => {
    recordWarnings();
    const queue = testQueue(fixture.redis, 'keeping');
    const worker = queue.process(async () => {});
    await queue.add('noop', {});
    await vi.waitFor(async () => expect((await queue.stats()).completed).toBe(1));
    await worker.close();
    expect(warnings).toEqual([]);
    await queue.cleanup();
  });
});
