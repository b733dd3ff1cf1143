/**
 * One of the processes of multi-process.test.ts: counts through a tracked prom-client registry
 * and the sink's own record(), flushing on the sink's timer, then disposes the sink and prints
 * what it did. Env: REDIS_URL, PREFIX, INSTANCE, SEED.
 */
import { Redis } from 'ioredis';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RedisMetricsSink } from '../../../src/redis/index';

const env = process.env as Record<string, string>;
const seed = Number(env['SEED']);
const redis = new Redis(env['REDIS_URL'] as string, { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
await redis.connect();
const registry = new Registry();
const requests = new Counter({ name: 'requests_total', help: 'Requests', labelNames: ['route'], registers: [registry] });
const latency = new Histogram({ name: 'latency_seconds', help: 'Latency', buckets: [0.5, 2], registers: [registry] });
new Gauge({ name: 'workers', help: 'Workers', registers: [registry] }).set(seed);
const sink = new RedisMetricsSink({ redis, prefix: env['PREFIX'] as string, flushIntervalMs: 5, instanceId: env['INSTANCE'] as string }).track(registry);

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
redis.disconnect();
process.stdout.write(JSON.stringify({ ...done, jobs_total: 4_000 }));
