import { Registry as PromRegistry } from 'prom-client';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { Registry } from '../../../src/index';
import { registerOtelMetrics, type OtelMetrics } from '../../../src/observability/otel';
import { registerMetrics, type PrometheusMetrics } from '../../../src/observability/prometheus';
import { Redis } from 'ioredis';
import { Cache, RedisQueue, UnrecoverableError } from '../../../src/redis/index';
import { checkHistograms, parseExposition, sampleValue } from '../../observability/exposition';
import { asSamples, byKey, setUp } from '../../observability/otel-support';
import { nextEvents, useTestQueues } from '../queue-support';
import { deleteUnder, uniquePrefix } from '../support';

const queues = useTestQueues(inject('redisUrl'));
const exporters: Array<PrometheusMetrics | OtelMetrics> = [];
afterEach(() => {
  for (const exporter of exporters.splice(0)) exporter.dispose();
});

/** Both exporters on the same bulwark registry. */
function exportBoth(instances: Registry): { prometheus: PromRegistry; otel: () => Promise<Map<string, number>> } {
  const prometheus = new PromRegistry();
  const { meter, read } = setUp();
  exporters.push(registerMetrics({ registry: prometheus, bulwarkRegistry: instances }), registerOtelMetrics({ meter, bulwarkRegistry: instances }));
  return { prometheus, otel: async () => byKey(asSamples(await read())) };
}

/** Every sample of `families` whose labels include `name: value`, by the key `byKey` uses. */
function samplesWith(text: string, label: string, value: string): Map<string, number> {
  const families = parseExposition(text);
  checkHistograms(families);
  return byKey([...families.values()].flatMap((family) => family.samples).filter((sample) => sample.labels[label] === value));
}

describe('cache and queue series, from real Redis, in both exporters', () => {
  it('counts Cache reads by result', async () => {
    const instances = new Registry();
    const { prometheus, otel } = exportBoth(instances);
    const prefix = uniquePrefix('metrics-cache');
    const cache = new Cache({ redis: queues.redis, prefix, ttlMs: 60_000, name: 'users', registry: instances });
    try {
      await cache.set('a', { id: 1 });
      for (let i = 0; i < 3; i++) await cache.get('a');
      await cache.get('b');
      expect(await cache.getOrLoad('c', async () => 3)).toBe(3);
      const text = await prometheus.metrics();
      const m = parseExposition(text);
      expect(sampleValue(m, 'bulwark_cache_requests_total', { name: 'users', result: 'hit' })).toBe(3);
      expect(sampleValue(m, 'bulwark_cache_requests_total', { name: 'users', result: 'miss' })).toBe(2);
      const fromPrometheus = samplesWith(text, 'name', 'users');
      const fromOtel = new Map([...(await otel())].filter(([key]) => key.includes('"users"')));
      expect(fromOtel).toEqual(fromPrometheus);
    } finally {
      cache.dispose();
      await deleteUnder(queues.redis, prefix);
    }
  });

  it('counts queue jobs by state, times their waits and runs, and reads the depth from Redis', async () => {
    const instances = new Registry();
    const { prometheus, otel } = exportBoth(instances);
    const queue = queues.queueFor('metrics-jobs', { registry: instances, maxAttempts: 1 });
    const completed = nextEvents(queue, 'completed', 2);
    const dead = nextEvents(queue, 'dead', 1);
    await queue.add('ok', 1);
    await queue.add('ok', 2);
    await queue.add('bad', 3);
    queue.process({
      ok: async () => 'done',
      bad: async () => {
        throw new UnrecoverableError('no');
      },
    });
    await Promise.all([completed, dead]);
    const text = await prometheus.metrics();
    const m = parseExposition(text);
    const jobs = (state: string): number => sampleValue(m, 'bulwark_queue_jobs_total', { queue: 'metrics-jobs', state });
    expect(['added', 'active', 'completed', 'failed', 'dead'].map(jobs)).toEqual([3, 3, 2, 1, 1]);
    expect(sampleValue(m, 'bulwark_queue_job_wait_seconds_count', { queue: 'metrics-jobs' })).toBe(3);
    expect(sampleValue(m, 'bulwark_queue_job_run_seconds_count', { queue: 'metrics-jobs', outcome: 'completed' })).toBe(2);
    expect(sampleValue(m, 'bulwark_queue_job_run_seconds_count', { queue: 'metrics-jobs', outcome: 'failed' })).toBe(1);
    const depth = (state: string): number => sampleValue(m, 'bulwark_queue_depth', { queue: 'metrics-jobs', state });
    expect(['ready', 'delayed', 'active', 'dead', 'completed'].map(depth)).toEqual([0, 0, 0, 1, 2]);
    expect(sampleValue(m, 'bulwark_queue_workers', { queue: 'metrics-jobs' })).toBe(1);
    const fromOtel = new Map([...(await otel())].filter(([key]) => key.includes('"metrics-jobs"')));
    expect(fromOtel).toEqual(samplesWith(text, 'queue', 'metrics-jobs'));
  });

  it('leaves out the depth of a queue whose Redis fails, and still answers the scrape', async () => {
    const instances = new Registry();
    const { prometheus } = exportBoth(instances);
    const unreachable = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    const queue = new RedisQueue({ redis: unreachable, name: 'metrics-unreachable', prefix: uniquePrefix('metrics-unreachable'), registry: instances, redisTimeoutMs: 100 });
    try {
      const m = parseExposition(await prometheus.metrics());
      expect(m.get('bulwark_queue_depth')?.samples ?? []).toEqual([]);
      expect(sampleValue(m, 'bulwark_queue_workers', { queue: 'metrics-unreachable' })).toBe(0);
    } finally {
      queue.dispose();
      unreachable.disconnect();
    }
  });
});
