import { AsyncLocalStorage } from 'node:async_hooks';
import { context, ROOT_CONTEXT, trace, type Context, type ContextManager, type Span } from '@opentelemetry/api';
import type { Histogram as HistogramPoint } from '@opentelemetry/sdk-metrics';
import { Registry as PromRegistry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Bulkhead, CircuitBreaker, ConfigError, Registry, Retry } from '../../src/index';
import { METRIC_SET, registerOtelMetrics, type OtelMetrics } from '../../src/observability/otel';
import { registerMetrics } from '../../src/observability/prometheus';
import { drivePatterns } from './drive-patterns';
import { parseExposition } from './exposition';
import { asSamples, byKey, setUp } from './otel-support';
import { countStatsReads, expectStatsReads } from './stats-reads';

/** A context manager on AsyncLocalStorage, so that `trace.getActiveSpan()` sees the span of a call. */
class StorageContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#storage.disable();
    return this;
  }
}

/** A span that keeps the events added to it. */
function recordingSpan(): { span: Span; events: Array<{ name: string; attributes: unknown }> } {
  const events: Array<{ name: string; attributes: unknown }> = [];
  const span = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
  span.addEvent = (name: string, attributes?: unknown) => {
    events.push({ name, attributes });
    return span;
  };
  return { span, events };
}

const ok = async (): Promise<number> => 1;
let exported: OtelMetrics | undefined;
afterEach(() => exported?.dispose());

describe('registerOtelMetrics', () => {
  it('gives the same numbers as the Prometheus exporter, for every pattern', async () => {
    const { meter, read } = setUp();
    const instances = new Registry();
    const registry = new PromRegistry();
    exported = registerOtelMetrics({ meter, bulwarkRegistry: instances, callDurations: true });
    const prometheus = registerMetrics({ registry, bulwarkRegistry: instances, callDurations: true });
    const driven = await drivePatterns(instances);
    const fromPrometheus = byKey([...parseExposition(await registry.metrics()).values()].flatMap((f) => f.samples));
    const fromOtel = byKey(asSamples(await read()));
    prometheus.dispose();
    await driven.release();
    expect(fromOtel.size).toBeGreaterThan(40);
    for (const [name, value] of fromPrometheus) expect({ name, value: fromOtel.get(name) }).toEqual({ name, value: expect.closeTo(value, 9) });
    expect([...fromOtel.keys()].sort()).toEqual([...fromPrometheus.keys()].sort());
  });

  it("reads each live instance's stats() once per collection", async () => {
    const { meter, read } = setUp();
    const instances = new Registry();
    exported = registerOtelMetrics({ meter, bulwarkRegistry: instances });
    const driven = await drivePatterns(instances);
    const reads = countStatsReads(instances);
    await read();
    expectStatsReads(reads(), 1);
    await read();
    expectStatsReads(reads(), 2);
    await driven.release();
  });

  it('names counters without _total and gives durations in seconds, with the set\'s buckets', async () => {
    const { meter, read } = setUp();
    const instances = new Registry();
    exported = registerOtelMetrics({ meter, bulwarkRegistry: instances, callDurations: true });
    await new CircuitBreaker({ name: 'otel-names', registry: instances }).execute(ok);
    const metrics = await read();
    const calls = metrics.find((m) => m.descriptor.name === 'bulwark_calls');
    const duration = metrics.find((m) => m.descriptor.name === 'bulwark_call_duration_seconds');
    expect(calls?.dataPoints).toContainEqual(
      expect.objectContaining({ attributes: { pattern: 'circuitBreaker', name: 'otel-names', outcome: 'success' }, value: 1 }),
    );
    expect(duration?.descriptor.unit).toBe('s');
    expect((duration?.dataPoints[0]?.value as HistogramPoint).buckets.boundaries).toEqual(METRIC_SET.find((m) => m.type === 'histogram')?.buckets);
  });

  it('stops recording on dispose', async () => {
    const { meter, read } = setUp();
    const otel = registerOtelMetrics({ meter, bulwarkRegistry: new Registry() });
    const retry = new Retry({ name: 'otel-disposed', registry: false });
    await retry.execute(ok);
    otel.dispose();
    otel.dispose();
    await retry.execute(ok);
    const calls = (await read()).find((m) => m.descriptor.name === 'bulwark_calls');
    expect(calls?.dataPoints ?? []).toHaveLength(0);
  });

  it('rejects a missing meter and a bad trace, naming the field', () => {
    expect(() => registerOtelMetrics({} as never)).toThrow(ConfigError);
    expect(() => registerOtelMetrics({ meter: {} as never })).toThrow(/meter: expected an OpenTelemetry Meter/);
    expect(() => registerOtelMetrics({ meter: setUp().meter, trace: {} as never })).toThrow(/trace: expected/);
  });

  describe('span events', () => {
    const manager = new StorageContextManager();
    beforeAll(() => context.setGlobalContextManager(manager));
    afterAll(() => context.disable());

    it('adds retries, refusals and breaker transitions to the span active in the call', async () => {
      exported = registerOtelMetrics({ meter: setUp().meter, bulwarkRegistry: new Registry(), trace });
      const { span, events } = recordingSpan();
      const retry = new Retry({ name: 'span-retry', maxAttempts: 2, initialDelayMs: 0, registry: false });
      const breaker = new CircuitBreaker({ name: 'span-breaker', failureThreshold: 1, registry: false });
      await context.with(trace.setSpan(context.active(), span), async () => {
        let tries = 0;
        await retry.execute(async () => {
          if (++tries === 1) throw new Error('first try fails');
          return 1;
        });
        await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
        await breaker.execute(ok).catch(() => {});
      });
      expect(events).toEqual([
        { name: 'bulwark.retry', attributes: { 'bulwark.pattern': 'retry', 'bulwark.name': 'span-retry', 'bulwark.attempt': 1, 'bulwark.delay_ms': 0 } },
        {
          name: 'bulwark.state_change',
          attributes: { 'bulwark.pattern': 'circuitBreaker', 'bulwark.name': 'span-breaker', 'bulwark.from': 'closed', 'bulwark.to': 'open', 'bulwark.reason': 'failureThreshold' },
        },
        {
          name: 'bulwark.rejected',
          attributes: { 'bulwark.pattern': 'circuitBreaker', 'bulwark.name': 'span-breaker', 'bulwark.reason': 'circuitOpen', 'bulwark.retry_after_ms': expect.any(Number) },
        },
      ]);
    });

    it('adds the refusals of the other patterns too, e.g. a full Bulkhead\'s', async () => {
      exported = registerOtelMetrics({ meter: setUp().meter, bulwarkRegistry: new Registry(), trace });
      const { span, events } = recordingSpan();
      const bulkhead = new Bulkhead({ name: 'span-bulkhead', maxInFlight: 1, maxQueue: 0, registry: false });
      let release = (): void => {};
      const running = bulkhead.execute(() => new Promise<void>((resolve) => (release = resolve)));
      await context.with(trace.setSpan(context.active(), span), () => bulkhead.execute(ok).catch(() => {}));
      release();
      await running;
      expect(events).toEqual([
        {
          name: 'bulwark.rejected',
          attributes: { 'bulwark.pattern': 'bulkhead', 'bulwark.name': 'span-bulkhead', 'bulwark.reason': 'queueFull' },
        },
      ]);
    });

    it('adds no span events without the trace option', async () => {
      exported = registerOtelMetrics({ meter: setUp().meter, bulwarkRegistry: new Registry() });
      const { span, events } = recordingSpan();
      const breaker = new CircuitBreaker({ name: 'span-none', failureThreshold: 1, registry: false });
      await context.with(trace.setSpan(context.active(), span), () => breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {}));
      expect(events).toEqual([]);
    });
  });
});
