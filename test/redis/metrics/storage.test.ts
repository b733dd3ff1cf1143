import type { Redis } from 'ioredis';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, inject, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors';
import { collectFromRedis, RedisMetricsSink, type GaugeMode, type MetricSpec } from '../../../src/redis/index';
import { keysUnder } from '../support';
import { samples, useSinks } from './support';

const shared = useSinks(inject('redisUrl'), 'metrics-storage');
const { newPrefix, newSink } = shared;

const counter: MetricSpec = { name: 'events_total', help: 'Events', type: 'counter', labelNames: ['kind'] };
const histogram: MetricSpec = { name: 'wait_seconds', help: 'Wait', type: 'histogram', buckets: [1, 5] };

describe('storage', () => {
  it('keeps one hash per metric, every series and suffix a field `suffix:labelsJSON`, under the hash tag {prefix}', async () => {
    const prefix = newPrefix();
    const sink = newSink(prefix);
    sink.record(counter, { kind: 'a' }, 1);
    sink.record(histogram, undefined, 2);
    await sink.flush();
    expect((await keysUnder(shared.redis, `{${prefix}}`)).sort()).toEqual([`{${prefix}}:m:events_total`, `{${prefix}}:m:wait_seconds`, `{${prefix}}:seq`]);
    expect(Object.keys(await shared.redis.hgetall(`{${prefix}}:m:wait_seconds`)).sort()).toEqual([
      '#meta',
      '_bucket:{"le":"+Inf"}',
      '_bucket:{"le":"1"}',
      '_bucket:{"le":"5"}',
      '_count:{}',
      '_created:{}',
      '_sum:{}',
    ]);
  });

  it('gives every key the time to live, and refreshes the whole metric at each write', async () => {
    const prefix = newPrefix();
    const sink = newSink(prefix, { ttlMs: 600_000 });
    sink.record(counter, { kind: 'a' }, 1);
    sink.record(counter, { kind: 'b' }, 1);
    await sink.flush();
    const key = `{${prefix}}:m:events_total`;
    for (const each of await keysUnder(shared.redis, `{${prefix}}`)) {
      const ttl = await shared.redis.pttl(each);
      expect(ttl).toBeGreaterThan(590_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
    }
    await shared.redis.pexpire(key, 1_000);
    sink.record(counter, { kind: 'b' }, 1);
    await sink.flush();
    // Only series b was written; the whole hash (series a, `_created`, metadata) got the full TTL back.
    expect(await shared.redis.pttl(key)).toBeGreaterThan(590_000);
    expect(await shared.redis.hget(key, '_total:{"kind":"a"}')).toBe('1');
  });

  it("stores a gauge per instance with Redis's TIME of the write", async () => {
    const prefix = newPrefix();
    const sink = newSink(prefix, { instanceId: 'worker-1' });
    sink.record({ name: 'depth', help: 'Depth', type: 'gauge' }, undefined, 4);
    await sink.flush();
    const [seconds] = await shared.redis.time();
    const fields = await shared.redis.hgetall(`{${prefix}}:m:depth`);
    const series = JSON.stringify(['worker-1', process.pid, {}]);
    expect(fields[`_gauge:${series}`]).toBe('4');
    expect(Math.abs(Number(fields[`_time:${series}`]) - Number(seconds) * 1000)).toBeLessThan(5_000);
  });

  it('drops and counts the values of new series once maxBuffered series wait; the series already waiting keep adding up', async () => {
    const prefix = newPrefix();
    const sink = newSink(prefix, { maxBuffered: 4 });
    // One series of a counter takes two places: its total and its `_created`. Series c finds the
    // buffer full: its `_created`, its zero and its increment are dropped.
    sink.record(counter, { kind: 'a' }, 1);
    sink.record(counter, { kind: 'b' }, 1);
    sink.record(counter, { kind: 'c' }, 1);
    sink.record(counter, { kind: 'a' }, 1);
    expect(sink.stats()).toMatchObject({ buffered: 4, dropped: 3 });
    await sink.flush();
    expect(sink.stats()).toMatchObject({ buffered: 0, flushes: 1 });
    const text = await collectFromRedis({ redis: shared.redis, prefix });
    expect(samples(text).get('events_total{kind="a"}')).toBe(2);
    expect(samples(text).get('events_total{kind="b"}')).toBe(1);
    expect(text).not.toContain('kind="c"');
  });
});

describe('gauge modes: one series written by three instances', () => {
  const values = { old: 10, mid: 3, new: 7 };

  /** Writes the gauge from three sinks, then sets each instance's write time: old 60 s ago, mid 2 s ago, new now. */
  async function written(mode: GaugeMode): Promise<string> {
    const prefix = newPrefix();
    const spec: MetricSpec = { name: 'level', help: 'Level', type: 'gauge', labelNames: ['pool'], gaugeMode: mode };
    for (const [instanceId, value] of Object.entries(values)) {
      const sink = newSink(prefix, { instanceId });
      sink.record(spec, { pool: 'p' }, value);
      await sink.flush();
    }
    const [seconds] = await shared.redis.time();
    const now = Number(seconds) * 1000;
    const ages = { old: 60_000, mid: 2_000, new: 0 };
    for (const [instanceId, age] of Object.entries(ages)) {
      await shared.redis.hset(`{${prefix}}:m:level`, `_time:${JSON.stringify([instanceId, process.pid, { pool: 'p' }])}`, String(now - age));
    }
    return collectFromRedis({ redis: shared.redis, prefix, livenessMs: 10_000 });
  }

  const line = (labels: string, value: number): string => `level{${labels}} ${value}`;
  const pid = process.pid;

  it.each([
    ['sum', [line('pool="p"', 20)]],
    ['max', [line('pool="p"', 10)]],
    ['min', [line('pool="p"', 3)]],
    ['mostrecent', [line('pool="p"', 7)]],
    ['live', [line('pool="p"', 10)]],
    ['all', ['old', 'mid', 'new'].map((id) => line(`pool="p",instance="${id}",pid="${pid}"`, values[id as keyof typeof values]))],
    ['liveall', ['mid', 'new'].map((id) => line(`pool="p",instance="${id}",pid="${pid}"`, values[id as keyof typeof values]))],
  ] as Array<[GaugeMode, string[]]>)('%s', async (mode, expected) => {
    const text = await written(mode);
    const lines = text.split('\n').filter((each) => each.startsWith('level'));
    expect(lines.sort()).toEqual([...expected].sort());
    expect(text).toContain('# TYPE level gauge');
  });

  it('a tracked prom-client gauge takes its mode from track options, else from its aggregator', async () => {
    const prefix = newPrefix();
    for (const [instanceId, value] of [['a', 2], ['b', 9]] as const) {
      const registry = new Registry();
      new Gauge({ name: 'peak', help: 'Peak', aggregator: 'max', registers: [registry] }).set(value);
      new Gauge({ name: 'slots', help: 'Slots', registers: [registry] }).set(value);
      await newSink(prefix, { instanceId }).track(registry, { gaugeModes: { slots: 'min' } }).flush();
    }
    const values = samples(await collectFromRedis({ redis: shared.redis, prefix }));
    expect(values.get('peak')).toBe(9);
    expect(values.get('slots')).toBe(2);
  });
});

describe('options', () => {
  it('refuses bad options with one ConfigError naming each field', async () => {
    const error = (() => {
      try {
        new RedisMetricsSink({ redis: shared.redis, prefix: 'a{b', flushIntervalMs: 0, ttlMs: 2 ** 31, instanceId: '', maxBuffered: 1.5, timeoutMs: -1 });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).issues.map((issue) => issue.path).sort();
    expect(paths).toEqual(['flushIntervalMs', 'instanceId', 'maxBuffered', 'prefix', 'timeoutMs', 'ttlMs']);
    expect(() => new RedisMetricsSink({ redis: {} as Redis })).toThrow(/redis/);
    await expect(collectFromRedis({ redis: shared.redis, livenessMs: 0 })).rejects.toThrow(ConfigError);
  });
});
