/**
 * One of the processes of bulwark-metrics.test.ts: runs bulwark patterns with a metrics sink
 * recording bulwark's own metric set (`trackBulwark`), then disposes the sink while a Bulkhead
 * still holds `SEED` calls, and prints what it did. Env: INSTANCE, SEED, and REDIS_URL with
 * PREFIX (Redis sink) or FILE (SQLite sink).
 */
import { Redis } from 'ioredis';
import { Bulkhead, CircuitBreaker, LoadShedder, Registry, Retry } from '../../../src/index';
import { RedisMetricsSink } from '../../../src/redis/index';
import { SqliteMetricsSink } from '../../../src/sqlite/index';

const env = process.env as Record<string, string>;
const seed = Number(env['SEED']);
const file = env['FILE'];
const redis = file === undefined ? new Redis(env['REDIS_URL'] as string, { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true }) : undefined;
await redis?.connect();
const instances = new Registry();
const common = { flushIntervalMs: 5, instanceId: env['INSTANCE'] as string };
const sink = (
  redis === undefined ? new SqliteMetricsSink({ file: file as string, ...common }) : new RedisMetricsSink({ redis, prefix: env['PREFIX'] as string, ...common })
).trackBulwark({ bulwarkRegistry: instances });

const fail = async (): Promise<never> => {
  throw new Error('boom');
};
const breaker = new CircuitBreaker({ name: 'shared-cb', failureThreshold: 1_000, registry: instances });
const retry = new Retry({ name: 'shared-rt', maxAttempts: 2, initialDelayMs: 0, registry: instances });
const bulkhead = new Bulkhead({ name: 'shared-bh', maxInFlight: 10, registry: instances });
new LoadShedder({ name: 'shared-ls', maxInFlight: 10, registry: instances });

const successes = 100 * seed;
for (let i = 0; i < successes; i++) {
  await breaker.execute(async () => i);
  if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
}
for (let i = 0; i < seed; i++) await breaker.execute(fail).catch(() => {});
let tries = 0;
await retry.execute(async () => {
  tries++;
  if (tries === 1) throw new Error('once');
  return tries;
});
let release!: () => void;
const gate = new Promise<void>((resolve) => (release = resolve));
const held = Array.from({ length: seed }, () => bulkhead.execute(() => gate));
await sink.dispose();
release();
await Promise.all(held);
redis?.disconnect();
process.stdout.write(JSON.stringify({ successes, failures: seed, held: seed }));
