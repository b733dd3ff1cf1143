import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/core/errors';
import { collectFromSqlite, SqliteMetricsSink } from '../../../src/sqlite/index';
import { expectFourProcessesAddUp, runFourProcesses, samples, sortedLines } from './support';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-metrics-sqlite-'));
let files = 0;
const newFile = (): string => join(dir, `metrics-${++files}.db`);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteMetricsSink: the Redis sink contract on one file', () => {
  it('prints what prom-client prints for every metric type, with and without labels', async () => {
    const file = newFile();
    const registry = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'C', labelNames: ['a'], registers: [registry] });
    const plain = new Counter({ name: 'p_total', help: 'P', registers: [registry] });
    const gauge = new Gauge({ name: 'g', help: 'G', labelNames: ['a'], registers: [registry] });
    const histogram = new Histogram({ name: 'h', help: 'H', buckets: [1, 2], registers: [registry] });
    const summary = new Summary({ name: 's', help: 'S', labelNames: ['a'], registers: [registry] });
    const sink = new SqliteMetricsSink({ file, flushIntervalMs: 60_000 }).track(registry);
    counter.inc({ a: 'x' }, 2);
    plain.inc();
    gauge.set({ a: 'y' }, 1.5);
    histogram.observe(0.5);
    await sink.flush();
    counter.inc({ a: 'x' });
    histogram.observe(3);
    summary.observe({ a: 'z' }, 0.25);
    await sink.dispose();
    expect(sortedLines(collectFromSqlite({ file }))).toEqual(sortedLines(await registry.metrics(), { quantiles: false }));
  });

  it('4 processes on one file: collectFromSqlite shows the sum of what they did, per series', async () => {
    const file = newFile();
    const expected = await runFourProcesses({ FILE: file });
    expectFourProcessesAddUp(collectFromSqlite({ file }), expected);
  }, 60_000);

  it('combines gauges by mode, per instance', async () => {
    const file = newFile();
    for (const [instanceId, value] of [['a', 2], ['b', 9]] as const) {
      const sink = new SqliteMetricsSink({ file, instanceId, flushIntervalMs: 60_000 });
      sink.record({ name: 'peak', help: 'Peak', type: 'gauge', gaugeMode: 'max' }, undefined, value);
      sink.record({ name: 'each', help: 'Each', type: 'gauge', gaugeMode: 'all' }, undefined, value);
      await sink.dispose();
    }
    const values = samples(collectFromSqlite({ file }));
    expect(values.get('peak')).toBe(9);
    expect(values.get(`each{instance="a",pid="${process.pid}"}`)).toBe(2);
    expect(values.get(`each{instance="b",pid="${process.pid}"}`)).toBe(9);
  });

  it("deletes all of a metric's rows together once its time to live has passed since its last write", async () => {
    const file = newFile();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const sink = new SqliteMetricsSink({ file, ttlMs: 1_000, flushIntervalMs: 60_000 });
      sink.record({ name: 'old_total', help: 'Old', type: 'counter' }, undefined, 1);
      await sink.flush();
      vi.advanceTimersByTime(600);
      sink.record({ name: 'new_total', help: 'New', type: 'counter' }, undefined, 1);
      await sink.dispose();
      vi.advanceTimersByTime(500);
      const text = collectFromSqlite({ file });
      expect(text).not.toContain('old_');
      expect(samples(text).get('new_total')).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses bad options with a ConfigError naming each field', () => {
    expect(() => new SqliteMetricsSink({ file: '', flushIntervalMs: -1 })).toThrow(ConfigError);
    expect(() => new SqliteMetricsSink({ file: '', flushIntervalMs: -1 })).toThrow(/file[\s\S]*flushIntervalMs|flushIntervalMs[\s\S]*file/);
    expect(() => collectFromSqlite({ file: newFile(), livenessMs: 0 })).toThrow(ConfigError);
  });
});
