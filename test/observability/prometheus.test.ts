import { Registry as PromRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { bus, CircuitBreaker, ConfigError, Registry, Retry } from '../../src/index';
import { METRIC_SET, registerMetrics, type PrometheusMetrics } from '../../src/observability/prometheus';
import { drivePatterns } from './drive-patterns';
import { checkHistograms, parseExposition, sampleValue, type ParsedFamily } from './exposition';
import { countStatsReads, expectStatsReads } from './stats-reads';

const ok = async (): Promise<number> => 1;

let exported: PrometheusMetrics | undefined;
afterEach(() => exported?.dispose());

async function scrape(registry: PromRegistry): Promise<Map<string, ParsedFamily>> {
  const families = parseExposition(await registry.metrics());
  checkHistograms(families);
  return families;
}

describe('registerMetrics', () => {
  it('exports what happened to every pattern, in an exposition that parses', async () => {
    const registry = new PromRegistry();
    const instances = new Registry();
    exported = registerMetrics({ registry, bulwarkRegistry: instances, callDurations: true });
    const driven = await drivePatterns(instances);

    const m = await scrape(registry);
    const calls = (pattern: string, name: string, outcome: string): number =>
      sampleValue(m, 'bulwark_calls_total', { pattern, name, outcome });
    expect([calls('circuitBreaker', 'cb', 'success'), calls('circuitBreaker', 'cb', 'failure'), calls('circuitBreaker', 'cb', 'rejected')]).toEqual([1, 1, 1]);
    expect(sampleValue(m, 'bulwark_rejections_total', { pattern: 'circuitBreaker', name: 'cb', reason: 'circuitOpen' })).toBe(1);
    expect(sampleValue(m, 'bulwark_call_duration_seconds_count', { pattern: 'circuitBreaker', name: 'cb', outcome: 'success' })).toBe(1);
    expect(sampleValue(m, 'bulwark_call_duration_seconds_sum', { pattern: 'circuitBreaker', name: 'cb', outcome: 'success' })).toBeCloseTo(0.03);
    expect(sampleValue(m, 'bulwark_call_duration_seconds_bucket', { pattern: 'circuitBreaker', name: 'cb', outcome: 'success', le: '0.025' })).toBe(0);
    expect(sampleValue(m, 'bulwark_call_duration_seconds_bucket', { pattern: 'circuitBreaker', name: 'cb', outcome: 'success', le: '0.05' })).toBe(1);
    expect(sampleValue(m, 'bulwark_circuit_breaker_transitions_total', { name: 'cb', from: 'closed', to: 'open' })).toBe(1);
    expect(sampleValue(m, 'bulwark_circuit_breaker_state', { name: 'cb', state: 'open' })).toBe(1);
    expect(sampleValue(m, 'bulwark_circuit_breaker_state', { name: 'cb', state: 'closed' })).toBe(0);

    expect([calls('retry', 'rt', 'success'), calls('retry', 'rt', 'failure')]).toEqual([1, 1]);
    expect(sampleValue(m, 'bulwark_retries_total', { name: 'rt' })).toBe(1);
    expect(calls('timeout', 'to', 'failure')).toBe(1);
    expect(sampleValue(m, 'bulwark_fallbacks_total', { name: 'fb' })).toBe(1);

    expect(calls('bulkhead', 'bh', 'rejected')).toBe(1);
    expect(sampleValue(m, 'bulwark_rejections_total', { pattern: 'bulkhead', name: 'bh', reason: 'queueFull' })).toBe(1);
    expect(sampleValue(m, 'bulwark_bulkhead_active', { name: 'bh' })).toBe(1);
    expect(sampleValue(m, 'bulwark_bulkhead_queued', { name: 'bh' })).toBe(0);

    expect(sampleValue(m, 'bulwark_rejections_total', { pattern: 'loadShedder', name: 'ls', reason: 'capacity' })).toBe(1);
    expect(sampleValue(m, 'bulwark_load_shedder_active', { name: 'ls' })).toBe(1);
    expect(sampleValue(m, 'bulwark_load_level', { name: 'ls' })).toBeGreaterThanOrEqual(0);

    expect(sampleValue(m, 'bulwark_rejections_total', { pattern: 'adaptiveConcurrency', name: 'acl', reason: 'atLimit' })).toBe(1);
    expect(sampleValue(m, 'bulwark_adaptive_limit', { name: 'acl' })).toBe(1);
    expect(sampleValue(m, 'bulwark_adaptive_active', { name: 'acl' })).toBe(1);

    expect(calls('rateLimiter', 'rl', 'rejected')).toBe(1);
    expect(sampleValue(m, 'bulwark_rate_limit_decisions_total', { name: 'rl', allowed: 'true' })).toBe(1);
    expect(sampleValue(m, 'bulwark_rate_limit_decisions_total', { name: 'rl', allowed: 'false' })).toBe(1);

    expect(sampleValue(m, 'bulwark_rejections_total', { pattern: 'backpressure', name: 'bp', reason: 'queueTimeout' })).toBe(1);
    expect(sampleValue(m, 'bulwark_backpressure_pauses_total', { name: 'bp' })).toBe(1);
    expect(sampleValue(m, 'bulwark_backpressure_pending', { name: 'bp' })).toBe(1);
    expect(sampleValue(m, 'bulwark_backpressure_paused', { name: 'bp' })).toBe(1);

    await driven.release();
    const after = await scrape(registry);
    expect(sampleValue(after, 'bulwark_bulkhead_active', { name: 'bh' })).toBe(0);
  });

  it("reads each live instance's stats() once per scrape, not once per metric it feeds", async () => {
    const registry = new PromRegistry();
    const instances = new Registry();
    exported = registerMetrics({ registry, bulwarkRegistry: instances });
    const driven = await drivePatterns(instances);
    const reads = countStatsReads(instances);
    const first = await scrape(registry);
    expectStatsReads(reads(), 1);
    await registry.getMetricsAsJSON();
    expectStatsReads(reads(), 2);
    await driven.release();
    const second = await scrape(registry);
    expectStatsReads(reads(), 3);
    expect(sampleValue(first, 'bulwark_bulkhead_active', { name: 'bh' })).toBe(1);
    expect(sampleValue(second, 'bulwark_bulkhead_active', { name: 'bh' })).toBe(0);
    expect(sampleValue(second, 'bulwark_calls_total', { pattern: 'circuitBreaker', name: 'cb', outcome: 'rejected' })).toBe(1);
  });

  it('exports the lock events without the lock key', async () => {
    const registry = new PromRegistry();
    exported = registerMetrics({ registry, bulwarkRegistry: new Registry() });
    const common = { patternType: 'lock', patternName: 'jobs', timestamp: 0 };
    bus.emit('lock:acquired', { ...common, type: 'acquired', key: 'user:42', fence: 1, ttlMs: 1000, waitedMs: 20, attempts: 1 });
    bus.emit('lock:contended', { ...common, type: 'contended', key: 'user:42', retryAfterMs: 5 });
    bus.emit('lock:rejected', { ...common, type: 'rejected', reason: 'lockHeld', key: 'user:42', waitedMs: 0, attempts: 1, retryAfterMs: 5 });
    bus.emit('lock:released', { ...common, type: 'released', key: 'user:42', fence: 1, heldMs: 300 });
    bus.emit('lock:lost', { ...common, type: 'lost', key: 'user:42', fence: 2, reason: 'expired', heldMs: 10 });
    const text = await registry.metrics();
    expect(text).not.toContain('user:42');
    const m = await scrape(registry);
    expect(sampleValue(m, 'bulwark_calls_total', { pattern: 'lock', name: 'jobs', outcome: 'success' })).toBe(1);
    expect(sampleValue(m, 'bulwark_calls_total', { pattern: 'lock', name: 'jobs', outcome: 'rejected' })).toBe(1);
    expect(sampleValue(m, 'bulwark_lock_contentions_total', { name: 'jobs' })).toBe(1);
    expect(sampleValue(m, 'bulwark_lock_lost_total', { name: 'jobs', reason: 'expired' })).toBe(1);
    expect(sampleValue(m, 'bulwark_lock_wait_seconds_sum', { name: 'jobs' })).toBeCloseTo(0.02);
    expect(sampleValue(m, 'bulwark_lock_held_seconds_sum', { name: 'jobs' })).toBeCloseTo(0.3);
  });

  it('registers only the metric set, in the registry it is given, and nothing on the global one', async () => {
    const { register: globalRegistry } = await import('prom-client');
    const before = globalRegistry.getMetricsAsArray().length;
    const registry = new PromRegistry();
    exported = registerMetrics({ registry, bulwarkRegistry: new Registry() });
    expect(registry.getMetricsAsArray().map((metric) => metric.name).sort()).toEqual(METRIC_SET.map((metric) => metric.name).sort());
    expect(globalRegistry.getMetricsAsArray()).toHaveLength(before);
  });

  it('stops counting and leaves the registry on dispose, and can register again', async () => {
    const registry = new PromRegistry();
    const first = registerMetrics({ registry, bulwarkRegistry: new Registry() });
    const retry = new Retry({ name: 'disposed', registry: false });
    await retry.execute(ok);
    first.dispose();
    first.dispose();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    expect(bus.all.get('retry:success') ?? []).toHaveLength(0);
    exported = registerMetrics({ registry, bulwarkRegistry: new Registry() });
    await retry.execute(ok);
    const m = await scrape(registry);
    expect(sampleValue(m, 'bulwark_calls_total', { pattern: 'retry', name: 'disposed', outcome: 'success' })).toBe(1);
  });

  it('counts into two registries independently', async () => {
    const a = new PromRegistry();
    const b = new PromRegistry();
    exported = registerMetrics({ registry: a, bulwarkRegistry: new Registry() });
    const retry = new Retry({ name: 'two', registry: false });
    await retry.execute(ok);
    const second = registerMetrics({ registry: b, bulwarkRegistry: new Registry() });
    await retry.execute(ok);
    const key = { pattern: 'retry', name: 'two', outcome: 'success' };
    expect(sampleValue(await scrape(a), 'bulwark_calls_total', key)).toBe(2);
    expect(sampleValue(await scrape(b), 'bulwark_calls_total', key)).toBe(1);
    second.dispose();
  });

  it('writes OpenMetrics when the registry asks for it', async () => {
    const registry = new PromRegistry();
    registry.setContentType(PromRegistry.OPENMETRICS_CONTENT_TYPE as never);
    const instances = new Registry();
    exported = registerMetrics({ registry, bulwarkRegistry: instances });
    await new CircuitBreaker({ name: 'om', registry: instances }).execute(ok);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE bulwark_calls counter');
    expect(text).toContain('bulwark_calls_total{pattern="circuitBreaker",name="om",outcome="success"} 1');
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it('zeroes the event-fed series on resetMetrics', async () => {
    const registry = new PromRegistry();
    exported = registerMetrics({ registry, bulwarkRegistry: new Registry() });
    await new Retry({ name: 'reset', registry: false }).execute(ok);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('name="reset"');
  });

  it("reads a circuit breaker's calls and refusals from its stats, so that its calls build no event", async () => {
    const registry = new PromRegistry();
    const instances = new Registry();
    exported = registerMetrics({ registry, bulwarkRegistry: instances });
    expect(bus.all.get('circuitBreaker:success') ?? []).toHaveLength(0);
    expect(bus.all.get('circuitBreaker:rejected') ?? []).toHaveLength(0);
    const breaker = new CircuitBreaker({ name: 'counted', failureThreshold: 2, registry: instances });
    const fail = async (): Promise<never> => {
      throw new Error('boom');
    };
    for (let i = 0; i < 3; i++) await breaker.execute(ok);
    for (let i = 0; i < 2; i++) await breaker.execute(fail).catch(() => {});
    for (let i = 0; i < 4; i++) await breaker.execute(ok).catch(() => {});
    const m = await scrape(registry);
    const key = (outcome: string) => ({ pattern: 'circuitBreaker', name: 'counted', outcome });
    expect([3, 2, 4]).toEqual(['success', 'failure', 'rejected'].map((outcome) => sampleValue(m, 'bulwark_calls_total', key(outcome))));
    expect(sampleValue(m, 'bulwark_rejections_total', { pattern: 'circuitBreaker', name: 'counted', reason: 'circuitOpen' })).toBe(4);
    expect(sampleValue(m, 'bulwark_rejections_total', { pattern: 'circuitBreaker', name: 'counted', reason: 'isolated' })).toBe(0);
    expect(m.get('bulwark_call_duration_seconds')?.samples ?? []).toHaveLength(0);
  });

  it('records circuit breaker call durations only when callDurations is set', async () => {
    const registry = new PromRegistry();
    const instances = new Registry();
    exported = registerMetrics({ registry, bulwarkRegistry: instances, callDurations: true });
    await new CircuitBreaker({ name: 'timed', registry: instances }).execute(ok);
    const m = await scrape(registry);
    expect(sampleValue(m, 'bulwark_call_duration_seconds_count', { pattern: 'circuitBreaker', name: 'timed', outcome: 'success' })).toBe(1);
    expect(() => registerMetrics({ registry: new PromRegistry(), callDurations: 'yes' as never })).toThrow(/callDurations/);
  });

  it('rejects a missing or wrong registry and a second registration, naming the field', () => {
    expect(() => registerMetrics({} as never)).toThrow(ConfigError);
    expect(() => registerMetrics({ registry: {} as never })).toThrow(/registry: expected a prom-client Registry/);
    expect(() => registerMetrics({ registry: new PromRegistry(), bulwarkRegistry: {} as never })).toThrow(/bulwarkRegistry/);
    const registry = new PromRegistry();
    exported = registerMetrics({ registry });
    expect(() => registerMetrics({ registry })).toThrow(/already has a metric named bulwark_calls_total/);
  });
});
