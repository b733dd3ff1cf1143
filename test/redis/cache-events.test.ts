import { afterEach, describe, expect, it, vi } from 'vitest';
import { bus } from '../../src/bus';
import { CircuitOpenError } from '../../src/circuit-breaker/index';
import type { BulwarkEvent } from '../../src/core/events';
import type { Policy } from '../../src/core/policy';
import { Registry } from '../../src/core/registry';
import { Cache } from '../../src/redis/index';
import { ManualClock } from '../support/manual-clock';
import { cacheSuite } from './cache-support';

describe('Cache events, stats, registry and dispose', () => {
  const suite = cacheSuite('cache-events');
  const { cache } = suite;
  const busEvents: BulwarkEvent[] = [];
  const onBus = (type: string, event: BulwarkEvent): void => {
    if (type.startsWith('cache:')) busEvents.push(event);
  };
  afterEach(() => {
    bus.off('*', onBus as never);
    busEvents.length = 0;
  });

  it('emits hit, miss, load, loadError and stale on the instance and the bus, with the stats to match', async () => {
    const clock = new ManualClock(Date.now());
    const c = cache({ name: 'events-cache', clock, ttlMs: 1_000, staleTtlMs: 5_000, jitter: 0 });
    const seen: BulwarkEvent[] = [];
    c.events.on('*', (_type, event) => seen.push(event));
    bus.on('*', onBus as never);

    expect(await c.getOrLoad('a', () => 'A')).toBe('A');
    expect(await c.getOrLoad('a', () => 'unused')).toBe('A');
    await expect(c.getOrLoad('b', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await clock.advance(1_500);
    expect(await c.getOrLoad('a', () => 'A2')).toBe('A');
    await vi.waitFor(() => expect(c.stats().loading).toBe(0));

    const summary = seen.map((event) => [event.type, (event as { key?: string }).key ?? (event as { keys?: string[] }).keys?.join(',')]);
    expect(summary.slice(0, 6)).toEqual([
      ['miss', 'a'],
      ['load', 'a'],
      ['hit', 'a'],
      ['miss', 'b'],
      ['loadError', 'b'],
      ['stale', 'a'],
    ]);
    expect(seen.every((event) => event.patternType === 'cache' && event.patternName === 'events-cache')).toBe(true);
    expect(seen.find((event) => event.type === 'stale')).toMatchObject({ reason: 'revalidating' });
    expect(seen.find((event) => event.type === 'load')).toMatchObject({ keys: ['a'], durationMs: expect.any(Number) });
    expect(busEvents.map((event) => event.type)).toEqual(seen.map((event) => event.type));
    expect(c.stats()).toMatchObject({ hits: 2, misses: 2, hitRatio: 0.5, loads: 3, loadErrors: 1, staleServed: 1, degraded: 0 });
  });

  it('emits degraded with the Redis failure', async () => {
    const failure = new CircuitOpenError('redis', 'circuitOpen', 1_000);
    const broken: Policy = { name: 'broken', execute: () => Promise.reject(failure) };
    const c = cache({ policy: broken });
    const degraded: unknown[] = [];
    c.events.on('degraded', (event) => degraded.push(event.error));
    expect(await c.getOrLoad('k', () => 'v')).toBe('v');
    expect(degraded).toEqual([failure]);
    expect(c.stats().degraded).toBe(1);
  });

  it('joins the registry it is given, which reports its stats and its health', async () => {
    const registry = new Registry();
    const c = new Cache({ redis: suite.redis, prefix: suite.prefix, ttlMs: 60_000, name: 'users', registry });
    await c.getOrLoad('k', () => 'v');
    const report = registry.health();
    expect(report.status).toBe('ok');
    expect(report.instances['users']).toMatchObject({ patternType: 'cache', healthy: true, stats: { misses: 1, loads: 1 } });
    c.dispose();
  });

  it('reports itself unhealthy while its Redis breaker is open', async () => {
    const { Redis } = await import('ioredis');
    const idle = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false });
    const registry = new Registry();
    const c = new Cache({ redis: idle, prefix: suite.prefix, ttlMs: 60_000, name: 'down', registry });
    for (let i = 0; i < 5; i++) await c.get('k');
    expect(registry.health()).toMatchObject({ status: 'degraded', instances: { down: { healthy: false, state: 'open' } } });
    c.dispose();
    c.dispose();
    idle.disconnect();
  });
});
