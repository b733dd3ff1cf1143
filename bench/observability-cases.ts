/**
 * The rows that price bulwark's metrics:
 * - a call through a closed CircuitBreaker (consecutive mode, as in `breaker-consecutive`) while
 *   `registerMetrics` from `bulwark/prometheus` is registered on a prom-client registry. The
 *   exporter is registered in the row's `setup` and disposed in its `teardown`, so that no other
 *   row pays for it. The breaker is in the default registry, from which the exporter reads its
 *   calls at scrape time: the calls themselves do no work for the exporter;
 * - `counter.inc()` on a prom-client counter whose registry a `RedisMetricsSink` tracks, against
 *   the same on an untracked registry (the sink reads the registry at flush, never per `inc`);
 * - one `RedisMetricsSink` flush of 1,000 counter series (one Lua call);
 * - `collectFromRedis` over the metrics of 50 instances × 200 series (100 counters, 100 gauges).
 * The Redis rows write under {@link REDIS_PREFIX} and their connection's `teardown` deletes it.
 * @module
 */
import { Counter, Registry as PromRegistry } from 'prom-client';
import type { BulwarkModule } from './bulwark';
import { operation, type BenchCase, type Group } from './cases';
import { benchConnection, REDIS_PREFIX, REDIS_URL } from './redis-connection';

/** Id of the group whose row is a closed-breaker call with the Prometheus exporter registered. */
export const BREAKER_PROMETHEUS_GROUP = 'breaker-prometheus';

/** Id of the group whose rows increment a prom-client counter, tracked by a sink or not. */
export const TRACKED_INC_GROUP = 'metrics-tracked-inc';

/** Id of the group whose row is one sink flush of {@link FLUSH_SERIES} series. */
export const SINK_FLUSH_GROUP = 'metrics-sink-flush-1k';

/** Id of the group whose row is one `collectFromRedis` over {@link COLLECT_INSTANCES} × {@link COLLECT_SERIES}. */
export const SINK_COLLECT_GROUP = 'metrics-collect-50x200';

/** Increments one op of the {@link TRACKED_INC_GROUP} rows makes. */
const INCS_PER_OP = 1_000;
const FLUSH_SERIES = 1_000;
const ONE = Promise.resolve(1);
const COLLECT_INSTANCES = 50;
const COLLECT_SERIES = 200;

/** The groups of this module, in display order. */
export const OBSERVABILITY_GROUPS: readonly Group[] = [
  {
    id: BREAKER_PROMETHEUS_GROUP,
    label: 'breaker closed, prom exporter',
    description:
      "bulwark `new CircuitBreaker()` as in `breaker-consecutive` (in the default registry), with `registerMetrics({ registry })` (bulwark/prometheus) on a prom-client `Registry`. No peer: compare with `breaker-consecutive` (goal: the exporter's overhead ≤ 2× the bare breaker's)",
  },
  {
    id: TRACKED_INC_GROUP,
    label: 'prom-client counter.inc(), tracked',
    description:
      `prom-client: \`counter.inc()\` on a \`Counter\` of a plain \`Registry\`; bulwark: the same on a registry a \`RedisMetricsSink\` tracks (\`sink.track(registry)\`). Each op makes ${INCS_PER_OP.toLocaleString('en-US')} incs; ns/op is PER INC (goal: time within 1.2× prom-client's)`,
    callsPerOp: INCS_PER_OP,
  },
  {
    id: SINK_FLUSH_GROUP,
    label: `sink flush, ${FLUSH_SERIES.toLocaleString('en-US')} series (per flush)`,
    description: `one \`RedisMetricsSink.flush()\` of ${FLUSH_SERIES.toLocaleString('en-US')} counter series, each incremented since the last flush (one Lua call), against ${REDIS_URL}. Time reported`,
    opsPerSample: 1,
  },
  {
    id: SINK_COLLECT_GROUP,
    label: `collectFromRedis, ${COLLECT_INSTANCES} × ${COLLECT_SERIES} series`,
    description: `one \`collectFromRedis\` over what ${COLLECT_INSTANCES} sinks wrote, each ${COLLECT_SERIES} series (100 counters and 100 gauges of mode \`sum\`), against ${REDIS_URL}. Time reported`,
    opsPerSample: 1,
  },
];

/** The rows of {@link OBSERVABILITY_GROUPS}; rows whose entry or server is missing are left out with a note. */
export function observabilityCases(bulwark: BulwarkModule, notes: string[], redisAnswers: boolean): BenchCase[] {
  const cases: BenchCase[] = [];
  const prometheus = bulwark.prometheus;
  if (prometheus === undefined) notes.push(`${BREAKER_PROMETHEUS_GROUP} skipped: the measured bulwark has no prometheus entry`);
  else cases.push(breakerPrometheusCase(bulwark, prometheus));
  const plain = new PromRegistry();
  const plainCounter = new Counter({ name: 'bench_plain_total', help: 'untracked', registers: [plain] });
  cases.push({
    group: TRACKED_INC_GROUP,
    library: 'prom-client',
    fn: () => {
      for (let i = 0; i < INCS_PER_OP; i++) plainCounter.inc();
      return ONE;
    },
  });
  const redis = bulwark.redis;
  if (redis === undefined || !redisAnswers) {
    notes.push(`${TRACKED_INC_GROUP} (bulwark), ${SINK_FLUSH_GROUP} and ${SINK_COLLECT_GROUP} skipped: no bulwark/redis entry or no Redis at ${REDIS_URL}`);
    return cases;
  }
  return [...cases, ...sinkCases(redis)];
}

function breakerPrometheusCase(bulwark: BulwarkModule, prometheus: NonNullable<BulwarkModule['prometheus']>): BenchCase {
  const breaker = new bulwark.CircuitBreaker({ name: 'bench-breaker-prometheus' });
  const registry = new PromRegistry();
  let exporter: { dispose(): void } | undefined;
  return {
    group: BREAKER_PROMETHEUS_GROUP,
    library: 'bulwark',
    fn: () => breaker.execute(operation),
    setup: () => {
      exporter = prometheus.registerMetrics({ registry });
    },
    verify: async () => {
      await breaker.execute(operation);
      if (!(await registry.metrics()).includes('name="bench-breaker-prometheus",outcome="success"')) {
        throw new Error(`bench: ${BREAKER_PROMETHEUS_GROUP}: the exporter did not count the breaker's calls`);
      }
    },
    teardown: () => {
      exporter?.dispose();
      exporter = undefined;
    },
  };
}

function sinkCases(redis: NonNullable<BulwarkModule['redis']>): BenchCase[] {
  const connection = benchConnection();
  const prefix = `${REDIS_PREFIX}metrics`;
  const sinkOptions = { redis: connection.redis, prefix, flushIntervalMs: 3_600_000 };

  const tracked = new PromRegistry();
  const trackedCounter = new Counter({ name: 'bench_tracked_total', help: 'tracked', registers: [tracked] });
  let trackingSink: InstanceType<typeof redis.RedisMetricsSink> | undefined;

  const flushSpec = { name: 'bench_flush_total', help: 'flushed', type: 'counter', labelNames: ['series'] } as const;
  let flushSink: InstanceType<typeof redis.RedisMetricsSink> | undefined;
  let flushSeries: ReturnType<InstanceType<typeof redis.RedisMetricsSink>['series']>[] = [];

  const collectPrefix = `${REDIS_PREFIX}collect`;
  const fillCollect = async (): Promise<void> => {
    for (let i = 0; i < COLLECT_INSTANCES; i++) {
      const sink = new redis.RedisMetricsSink({ redis: connection.redis, prefix: collectPrefix, instanceId: `bench-${i}`, flushIntervalMs: 3_600_000 });
      for (let s = 0; s < COLLECT_SERIES / 2; s++) {
        sink.record({ name: 'bench_collect_total', help: 'counter', type: 'counter', labelNames: ['series'] }, { series: String(s) }, 1);
        sink.record({ name: 'bench_collect_gauge', help: 'gauge', type: 'gauge', labelNames: ['series'] }, { series: String(s) }, i);
      }
      await sink.dispose();
    }
  };

  const flushOnce = async (): Promise<number> => {
    for (const series of flushSeries) series.record(1);
    await (flushSink as NonNullable<typeof flushSink>).flush();
    return 1;
  };

  return [
    {
      group: TRACKED_INC_GROUP,
      library: 'bulwark',
      fn: () => {
        for (let i = 0; i < INCS_PER_OP; i++) trackedCounter.inc();
        return ONE;
      },
      setup: async () => {
        await connection.setup();
        trackingSink = new redis.RedisMetricsSink(sinkOptions).track(tracked);
      },
      verify: async () => {
        await trackingSink?.flush();
        const text = await redis.collectFromRedis({ redis: connection.redis, prefix });
        if (!/^bench_tracked_total \d+$/m.test(text)) throw new Error(`bench: ${TRACKED_INC_GROUP}: the sink did not write the tracked counter`);
      },
      teardown: async () => {
        await trackingSink?.dispose().catch(() => {});
        trackingSink = undefined;
        connection.teardown();
      },
    },
    {
      group: SINK_FLUSH_GROUP,
      library: 'bulwark',
      fn: flushOnce,
      setup: async () => {
        await connection.setup();
        flushSink = new redis.RedisMetricsSink(sinkOptions);
        flushSeries = Array.from({ length: FLUSH_SERIES }, (_, i) => (flushSink as NonNullable<typeof flushSink>).series(flushSpec, { series: String(i) }));
      },
      verify: async () => {
        await flushOnce();
        const text = await redis.collectFromRedis({ redis: connection.redis, prefix });
        const written = text.split('\n').filter((line) => line.startsWith('bench_flush_total{')).length;
        if (written !== FLUSH_SERIES) throw new Error(`bench: ${SINK_FLUSH_GROUP}: ${written} series written, expected ${FLUSH_SERIES}`);
      },
      teardown: async () => {
        await flushSink?.dispose().catch(() => {});
        flushSink = undefined;
        connection.teardown();
      },
    },
    {
      group: SINK_COLLECT_GROUP,
      library: 'bulwark',
      fn: async () => ((await redis.collectFromRedis({ redis: connection.redis, prefix: collectPrefix })).length > 0 ? 1 : 0),
      setup: async () => {
        await connection.setup();
        await fillCollect();
      },
      verify: async () => {
        const text = await redis.collectFromRedis({ redis: connection.redis, prefix: collectPrefix });
        if (!text.includes(`bench_collect_total{series="0"} ${COLLECT_INSTANCES}`)) {
          throw new Error(`bench: ${SINK_COLLECT_GROUP}: the collected counters do not add up over ${COLLECT_INSTANCES} instances`);
        }
      },
      teardown: () => connection.teardown(),
    },
  ];
}
