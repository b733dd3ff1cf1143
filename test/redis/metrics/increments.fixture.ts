/**
 * One of the processes of multi-process.test.ts and sqlite.test.ts: counts through a tracked
 * prom-client registry and the sink's own record(), flushing on the sink's timer, then disposes
 * the sink and prints what it did. Env: INSTANCE, SEED, and REDIS_URL with PREFIX (Redis sink)
 * or FILE (SQLite sink).
 */
import { Redis } from 'ioredis';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RedisMetricsSink } from '../../../src/redis/index';
import { SqliteMetricsSink } from '../../../src/sqlite/index';

const env = process.env as Record<string, string>;
const seed = Number(env['SEED']);
const file = env['FILE'];
const redis = file === undefined ? new Redis(env['REDIS_URL'] as string, { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true }) : undefined;
await redis?.connect();
const registry = new Registry();
const requests = new Counter({ name: 'requests_total', help: 'Requests', labelNames: ['route'], registers: [registry] });
const latency = new Histogram({ name: 'latency_seconds', help: 'Latency', buckets: [0.5, 2], registers: [registry] });
new Gauge({ name: 'workers', help: 'Workers', registers: [registry] }).set(seed);
const common = { flushIntervalMs: 5, instanceId: env['INSTANCE'] as string };
const sink = (
  redis === undefined ? new SqliteMetricsSink({ file: file as string, ...common }) : new RedisMetricsSink({ redis, prefix: env['PREFIX'] as string, ...common })
).track(registry);

const done: Record<string, number> = {};
for (let i = 0; i < 2_000; i++) {
  const route = `/r${(i * seed) % 3}`;
  requests.inc({ route });
  done[`requests_total{route="${route}"}`] = (done[`requests_total{route="${route}"}`] ?? 0) + 1;
  sink.record({ name: 'jobs_total', help: 'Jobs', type: 'counter' }, undefined, 2);
  latency.observe((i % 4) * 0.75);
  if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
}
await sink.dispose();
redis?.disconnect();
process.stdout.write(JSON.stringify({ ...done, jobs_total: 4_000 }));
