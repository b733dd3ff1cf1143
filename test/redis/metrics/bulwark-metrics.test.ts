import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, Registry } from '../../../src/index';
import { metricsHandler, PROMETHEUS_TEXT_CONTENT_TYPE } from '../../../src/middleware/index';
import { collectFromRedis, RedisMetricsSink } from '../../../src/redis/index';
import { collectFromSqlite } from '../../../src/sqlite/index';
import { drivePatterns } from '../../observability/drive-patterns';
import { countStatsReads, expectStatsReads } from '../../observability/stats-reads';
import { connect, uniquePrefix } from '../support';
import { deleteMetrics, runFourProcesses as runFourFixtureProcesses, samples } from './support';

/** What the 4 processes of bulwark-patterns.fixture.ts did, summed. */
interface Did {
  successes: number;
  failures: number;
  held: number;
}

async function runFourProcesses(env: Record<string, string>): Promise<Did> {
  const sums = await runFourFixtureProcesses(env, 'bulwark-patterns.fixture.ts');
  return { successes: sums.get('successes') ?? 0, failures: sums.get('failures') ?? 0, held: sums.get('held') ?? 0 };
}

/** Checks that the collected exposition adds up what the 4 processes did with bulwark's patterns. */
function expectBulwarkMetricsAddUp(text: string, did: Did): void {
  const m = samples(text);
  const calls = (pattern: string, name: string, outcome: string): number | undefined =>
    m.get(`bulwark_calls_total{pattern="${pattern}",name="${name}",outcome="${outcome}"}`);
  expect(calls('circuitBreaker', 'shared-cb', 'success')).toBe(did.successes);
  expect(calls('circuitBreaker', 'shared-cb', 'failure')).toBe(did.failures);
  expect(calls('circuitBreaker', 'shared-cb', 'rejected')).toBe(0);
  expect(m.get('bulwark_circuit_breaker_state{name="shared-cb",state="closed"}')).toBe(4);
  expect(m.get('bulwark_circuit_breaker_state{name="shared-cb",state="open"}')).toBe(0);
  expect(calls('retry', 'shared-rt', 'success')).toBe(4);
  expect(m.get('bulwark_retries_total{name="shared-rt"}')).toBe(4);
  expect(m.get('bulwark_bulkhead_active{name="shared-bh"}')).toBe(did.held);
  const levels = [...m.keys()].filter((series) => series.startsWith('bulwark_load_level{name="shared-ls",instance='));
  expect(levels.map((series) => /instance="([^"]+)"/.exec(series)?.[1]).sort()).toEqual(['worker-1', 'worker-2', 'worker-3', 'worker-4']);
}

describe("the sinks record bulwark's own metric set (trackBulwark)", () => {
  let redis: Redis;
  const prefix = uniquePrefix('metrics-bulwark');
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-metrics-bulwark-'));

  beforeAll(async () => {
    redis = await connect(inject('redisUrl'));
  });
  afterAll(async () => {
    await deleteMetrics(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('4 processes through RedisMetricsSink: collectFromRedis adds up their bulwark metrics', async () => {
    const did = await runFourProcesses({ REDIS_URL: inject('redisUrl'), PREFIX: prefix });
    expectBulwarkMetricsAddUp(await collectFromRedis({ redis, prefix }), did);
    const reply = await metricsHandler(() => collectFromRedis({ redis, prefix }))();
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(PROMETHEUS_TEXT_CONTENT_TYPE);
    expectBulwarkMetricsAddUp(reply.body, did);
  }, 60_000);

  it('4 processes through SqliteMetricsSink on one file: collectFromSqlite adds them up the same way', async () => {
    const file = join(dir, 'bulwark.db');
    const did = await runFourProcesses({ FILE: file });
    expectBulwarkMetricsAddUp(collectFromSqlite({ file }), did);
  }, 60_000);

  it("reads each live instance's stats() once per flush, not once per metric it feeds", async () => {
    const readsPrefix = uniquePrefix('metrics-bulwark-reads');
    const instances = new Registry();
    const sink = new RedisMetricsSink({ redis, prefix: readsPrefix, flushIntervalMs: 60_000 }).trackBulwark({ bulwarkRegistry: instances });
    try {
      const driven = await drivePatterns(instances);
      const reads = countStatsReads(instances);
      await sink.flush();
      expectStatsReads(reads(), 1);
      await sink.flush();
      expectStatsReads(reads(), 2);
      await driven.release();
      await sink.flush();
      expect(samples(await collectFromRedis({ redis, prefix: readsPrefix })).get('bulwark_bulkhead_active{name="bh"}')).toBe(0);
    } finally {
      await sink.dispose();
      await deleteMetrics(redis, readsPrefix);
    }
  });

  it('rejects a bad trackBulwark option, naming it', async () => {
    const sink = new RedisMetricsSink({ redis, prefix, flushIntervalMs: 60_000 });
    expect(() => sink.trackBulwark({ bulwarkRegistry: {} as Registry })).toThrow(ConfigError);
    expect(() => sink.trackBulwark({ callDurations: 1 as never })).toThrow(/callDurations/);
    await sink.dispose();
  });
});
