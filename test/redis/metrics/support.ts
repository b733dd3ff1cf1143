import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { RedisMetricsSink, type RedisMetricsSinkOptions } from '../../../src/redis/index';
import { connect, deleteUnder, uniquePrefix } from '../support';

/** Every key a metrics sink wrote under `prefix` (they all start with the hash tag `{prefix}`). */
export function deleteMetrics(redis: Redis, prefix: string): Promise<void> {
  return deleteUnder(redis, `{${prefix}}`);
}

/**
 * The sample lines of a Prometheus text exposition, sorted, without `_created` samples and (when
 * `quantiles` is false) without summary quantile samples, which a sink does not keep; `# HELP`
 * and `# TYPE` lines are kept.
 */
export function sortedLines(text: string, { quantiles = true } = {}): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]*_created[{ ]/.test(line))
    .filter((line) => quantiles || !/[{,]quantile="/.test(line))
    .sort();
}

/** The value of each series (`name{labels}`) of a Prometheus text exposition. */
export function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** What {@link useSinks} provides. */
export interface SinkFixture {
  /** A connection to the shared server, opened in `beforeAll`. */
  redis: Redis;
  /** A key prefix of its own, whose keys are deleted in `afterAll`. */
  newPrefix(): string;
  /** A sink under `prefix` that flushes only when asked (disposed after each test). */
  newSink(prefix: string, options?: Omit<RedisMetricsSinkOptions, 'redis' | 'prefix'>): RedisMetricsSink;
}

/** The shared server for the enclosing suite, with sinks disposed after each test and every prefix's keys deleted at the end. */
export function useSinks(url: string, label: string): SinkFixture {
  const prefixes: string[] = [];
  const sinks: RedisMetricsSink[] = [];
  const fixture: SinkFixture = {
    redis: undefined as unknown as Redis,
    newPrefix() {
      const prefix = uniquePrefix(label);
      prefixes.push(prefix);
      return prefix;
    },
    newSink(prefix, options = {}) {
      const sink = new RedisMetricsSink({ redis: fixture.redis, prefix, flushIntervalMs: 60_000, ...options });
      sinks.push(sink);
      return sink;
    },
  };
  beforeAll(async () => {
    fixture.redis = await connect(url);
  });
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((sink) => sink.dispose()));
  });
  afterAll(async () => {
    for (const prefix of prefixes) await deleteMetrics(fixture.redis, prefix);
    fixture.redis.disconnect();
  });
  return fixture;
}

/**
 * Runs `fixture` (a file of this folder; increments.fixture.ts by default) in 4 processes at once
 * (seeds 1…4, instances worker-1…4) with `env` (the sink's target), and returns the sum of what
 * they report having done, per series.
 */
export async function runFourProcesses(env: Record<string, string>, fixtureFile = 'increments.fixture.ts'): Promise<Map<string, number>> {
  const fixture = fileURLToPath(new URL(`./${fixtureFile}`, import.meta.url));
  const outputs = await Promise.all(
    [1, 2, 3, 4].map((seed) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', fixture], {
        env: { ...process.env, ...env, INSTANCE: `worker-${seed}`, SEED: String(seed) },
        timeout: 50_000,
      }),
    ),
  );
  const expected = new Map<string, number>();
  for (const { stdout } of outputs) {
    for (const [series, value] of Object.entries(JSON.parse(stdout) as Record<string, number>)) {
      expected.set(series, (expected.get(series) ?? 0) + value);
    }
  }
  return expected;
}

/** Checks the collected text against what increments.fixture.ts's 4 processes did. */
export function expectFourProcessesAddUp(text: string, expected: ReadonlyMap<string, number>): void {
  const collected = samples(text);
  for (const [series, value] of expected) expect([series, collected.get(series)]).toEqual([series, value]);
  // Each process observed 500 each of 0, 0.75, 1.5 and 2.25.
  expect(collected.get('latency_seconds_count')).toBe(8_000);
  expect(collected.get('latency_seconds_bucket{le="0.5"}')).toBe(2_000);
  expect(collected.get('latency_seconds_bucket{le="2"}')).toBe(6_000);
  expect(collected.get('latency_seconds_bucket{le="+Inf"}')).toBe(8_000);
  expect(collected.get('latency_seconds_sum')).toBe(4 * 500 * (0.75 + 1.5 + 2.25));
  // The workers gauge (prom-client's default aggregator, sum): 1 + 2 + 3 + 4.
  expect(collected.get('workers')).toBe(10);
}
