import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, defaultRegistry, Fallback, LoadShedder, Registry, Retry, setLogger, Timeout } from '../../src/index';

afterEach(() => setLogger());

describe('Registry', () => {
  it('holds every pattern by name and lists them', () => {
    const registry = new Registry();
    const breaker = new CircuitBreaker({ name: 'redis', registry });
    const retry = new Retry({ name: 'redis-retry', registry });
    const timeout = new Timeout({ name: 'redis-timeout', timeoutMs: 50, registry });
    const fallback = new Fallback({ name: 'redis-fallback', fallback: null, registry });
    expect(registry.get('redis')).toBe(breaker);
    expect(registry.list()).toEqual([breaker, retry, timeout, fallback]);
    expect(registry.get('nothing')).toBeUndefined();
    expect(registry.unregister('redis')).toBe(true);
    expect(registry.get('redis')).toBeUndefined();
  });

  it('receives every instance in defaultRegistry unless registry: false', () => {
    const registered = new Retry({ name: 'registry-test-default' });
    const unregistered = new Retry({ name: 'registry-test-opt-out', registry: false });
    expect(defaultRegistry.get('registry-test-default')).toBe(registered);
    expect(defaultRegistry.get('registry-test-opt-out')).toBeUndefined();
    expect(unregistered.name).toBe('registry-test-opt-out');
    defaultRegistry.unregister('registry-test-default');
  });

  it('replaces a live instance registered under the same name, with a warning', () => {
    const warn = vi.fn();
    setLogger({ warn, error: vi.fn(), info: vi.fn(), debug: vi.fn() });
    const registry = new Registry();
    new Retry({ name: 'twice', registry });
    const second = new Retry({ name: 'twice', registry });
    expect(registry.get('twice')).toBe(second);
    expect(registry.list()).toHaveLength(1);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ name: 'twice' }), expect.stringContaining('replaces'));
  });

  it('does not keep instances alive', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const registry = new Registry();
    (() => {
      for (let i = 0; i < 100; i++) new Retry({ registry });
    })();
    for (let i = 0; i < 10 && registry.list().length > 0; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    expect(registry.list()).toHaveLength(0);
  });

  it('never holds an instance whose construction failed, nor lets it replace a live one', () => {
    const registry = new Registry();
    const live = new LoadShedder({ name: 'api', maxInFlight: 2, registry });
    const failingSource = {
      eventLoopDelay: () => {
        throw new Error('no histogram here');
      },
      eventLoopUtilization: () => ({ read: () => 0, stop: () => {} }),
      heapUsedRatio: () => ({ read: () => 0, stop: () => {} }),
    };
    expect(
      () => new LoadShedder({ name: 'api', maxInFlight: 2, registry, signals: { maxEventLoopDelayMs: 50, source: failingSource } }),
    ).toThrow('no histogram here');
    expect(registry.get('api')).toBe(live);
    expect(registry.list()).toEqual([live]);
  });

  it('asks each instance for its health: an unhealthy one of any kind degrades the report', () => {
    const registry = new Registry();
    let healthy = true;
    registry.register({ name: 'cache', patternType: 'cache', health: () => ({ healthy, detail: 'redis unreachable' }) });
    registry.register({ name: 'plain', patternType: 'custom' });
    expect(registry.health().status).toBe('ok');
    healthy = false;
    const report = registry.health();
    expect(report.status).toBe('degraded');
    expect(report.instances['cache']).toEqual({ patternType: 'cache', healthy: false, detail: 'redis unreachable' });
    expect(report.instances['plain']).toEqual({ patternType: 'custom', healthy: true });
  });

  it('reports a JSON-serialisable health snapshot, degraded while a breaker is not closed', async () => {
    const registry = new Registry();
    const breaker = new CircuitBreaker({ name: 'payments', failureThreshold: 1, registry });
    new Retry({ name: 'payments-retry', registry });
    new Timeout({ name: 'payments-timeout', timeoutMs: 10, registry });
    const healthy = registry.health(1_000);
    expect(healthy).toEqual({
      status: 'ok',
      timestamp: 1_000,
      instances: {
        payments: {
          patternType: 'circuitBreaker',
          state: 'closed',
          healthy: true,
          stats: expect.objectContaining({ state: 'closed', calls: 0 }),
        },
        'payments-retry': { patternType: 'retry', healthy: true, stats: expect.objectContaining({ retries: 0 }) },
        'payments-timeout': { patternType: 'timeout', healthy: true, stats: { timeoutMs: 10, inFlight: 0, timedOut: 0 } },
      },
    });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    const degraded = registry.health();
    expect(degraded.status).toBe('degraded');
    expect(degraded.instances['payments']).toMatchObject({
      state: 'open',
      healthy: false,
      stats: { failures: 1, nextProbeAt: expect.any(Number) },
    });
    expect(JSON.parse(JSON.stringify(degraded))).toEqual(degraded);
  });

  it("shows a load shedder's load level as its state, degraded from high", async () => {
    const registry = new Registry();
    const shedder = new LoadShedder({ name: 'api', maxInFlight: 4, maxQueue: 0, registry });
    expect(registry.health().instances['api']).toMatchObject({ patternType: 'loadShedder', state: 'normal' });
    const release: Array<() => void> = [];
    const held = Array.from({ length: 4 }, () => shedder.execute(() => new Promise<void>((resolve) => release.push(resolve)), { priority: 'critical' }));
    expect(shedder.loadLevel).not.toBe('normal');
    expect(registry.health()).toMatchObject({ status: 'degraded', instances: { api: { state: shedder.loadLevel } } });
    for (const resolve of release) resolve();
    await Promise.all(held);
    expect(registry.health().status).toBe('ok');
  });
});
