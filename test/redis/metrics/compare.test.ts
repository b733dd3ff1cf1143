import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, inject, it } from 'vitest';
import { collectFromRedis, RedisMetricsSink, type MetricSpec } from '../../../src/redis/index';
import { sortedLines, useSinks } from './support';

const shared = useSinks(inject('redisUrl'), 'metrics-compare');

function newSink(): RedisMetricsSink {
  return shared.newSink(shared.newPrefix());
}

/** Runs `steps` on prom-client metrics, flushing the tracking sink after each; both expositions must match. */
async function expectSameExposition(registry: Registry, steps: ReadonlyArray<() => void>, options = { quantiles: true }) {
  const sink = newSink().track(registry);
  for (const step of steps) {
    step();
    await sink.flush();
  }
  const collected = await collectFromRedis({ redis: shared.redis, prefix: sink.prefix });
  expect(sortedLines(collected)).toEqual(sortedLines(await registry.metrics(), options));
}

describe('a tracked prom-client registry, flushed through Redis, prints what prom-client prints', () => {
  it('counters, with and without labels, across several flushes', async () => {
    const registry = new Registry();
    const plain = new Counter({ name: 'jobs_total', help: 'Jobs run', registers: [registry] });
    const labelled = new Counter({ name: 'http_requests_total', help: 'Requests\nby "route"', labelNames: ['route', 'code'], registers: [registry] });
    await expectSameExposition(registry, [
      () => plain.inc(),
      () => {
        plain.inc(2.5);
        labelled.inc({ route: '/a', code: '200' });
        labelled.inc({ route: '/b\\"x"', code: '500' }, 3);
      },
      () => labelled.labels('/a', '200').inc(4),
      () => {},
    ]);
  });

  it('gauges, with and without labels (the default mode sums one instance: its own value)', async () => {
    const registry = new Registry();
    const plain = new Gauge({ name: 'queue_depth', help: 'Depth', registers: [registry] });
    const labelled = new Gauge({ name: 'temperature', help: 'Temp', labelNames: ['room'], registers: [registry] });
    await expectSameExposition(registry, [
      () => plain.set(5),
      () => {
        plain.dec(2);
        labelled.set({ room: 'a' }, -1.5);
        labelled.set({ room: 'b' }, 7);
      },
      () => labelled.inc({ room: 'a' }, 0.25),
    ]);
  });

  it('histograms, with and without labels', async () => {
    const registry = new Registry();
    const plain = new Histogram({ name: 'latency_seconds', help: 'Latency', buckets: [0.25, 1, 4], registers: [registry] });
    const labelled = new Histogram({ name: 'size_bytes', help: 'Size', labelNames: ['kind'], buckets: [8, 64], registers: [registry] });
    await expectSameExposition(registry, [
      () => plain.observe(0.125),
      () => {
        plain.observe(2);
        plain.observe(10);
        labelled.observe({ kind: 'img' }, 16);
        labelled.observe({ kind: 'txt' }, 4);
      },
      () => labelled.observe({ kind: 'img' }, 128),
    ]);
  });

  it('summaries: count and sum (quantiles are not kept), with and without labels', async () => {
    const registry = new Registry();
    const plain = new Summary({ name: 'work_seconds', help: 'Work', registers: [registry] });
    const labelled = new Summary({ name: 'batch_items', help: 'Items', labelNames: ['queue'], registers: [registry] });
    await expectSameExposition(
      registry,
      [
        () => plain.observe(0.5),
        () => {
          plain.observe(1.5);
          labelled.observe({ queue: 'q1' }, 3);
        },
        () => labelled.observe({ queue: 'q1' }, 5),
      ],
      { quantiles: false },
    );
  });

  it('a counter reset in prom-client counts from zero again: the stored total never goes backwards', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'resets_total', help: 'Resets', registers: [registry] });
    const sink = newSink().track(registry);
    counter.inc(5);
    await sink.flush();
    counter.reset();
    counter.inc(2);
    await sink.flush();
    expect(await collectFromRedis({ redis: shared.redis, prefix: sink.prefix })).toContain('\nresets_total 7\n');
  });
});

describe('values recorded through the sink itself print as prom-client prints the same operations', () => {
  it('every metric type, with and without labels', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'C', labelNames: ['a'], registers: [registry] });
    const gauge = new Gauge({ name: 'g', help: 'G', registers: [registry] });
    const histogram = new Histogram({ name: 'h', help: 'H', labelNames: ['a'], buckets: [1, 2], registers: [registry] });
    const summary = new Summary({ name: 's', help: 'S', registers: [registry] });
    const specs: Record<string, MetricSpec> = {
      c: { name: 'c_total', help: 'C', type: 'counter', labelNames: ['a'] },
      g: { name: 'g', help: 'G', type: 'gauge' },
      h: { name: 'h', help: 'H', type: 'histogram', labelNames: ['a'], buckets: [1, 2] },
      s: { name: 's', help: 'S', type: 'summary' },
    };
    const sink = newSink();
    counter.inc({ a: 'x' }, 2);
    sink.record(specs['c'] as MetricSpec, { a: 'x' }, 2);
    gauge.set(3);
    sink.record(specs['g'] as MetricSpec, undefined, 3);
    for (const value of [0.5, 1.5, 3]) {
      histogram.observe({ a: 'y' }, value);
      sink.record(specs['h'] as MetricSpec, { a: 'y' }, value);
    }
    summary.observe(0.25);
    sink.record(specs['s'] as MetricSpec, undefined, 0.25);
    await sink.flush();
    const collected = await collectFromRedis({ redis: shared.redis, prefix: sink.prefix });
    expect(sortedLines(collected)).toEqual(sortedLines(await registry.metrics(), { quantiles: false }));
  });

  it('refuses what prom-client refuses: a negative or non-finite counter increment, a non-finite observation', () => {
    const sink = newSink();
    expect(() => sink.record({ name: 'x_total', help: 'X', type: 'counter' }, undefined, -1)).toThrow(TypeError);
    expect(() => sink.record({ name: 'x_total', help: 'X', type: 'counter' }, undefined, Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => sink.record({ name: 'h', help: 'H', type: 'histogram', buckets: [1] }, undefined, Number.NaN)).toThrow(TypeError);
  });
});
