import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
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
