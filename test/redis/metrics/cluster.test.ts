import { expect, it } from 'vitest';
import { collectFromRedis, RedisMetricsSink, type MetricSpec } from '../../../src/redis/index';
import { useThrowAwayCluster } from '../../support/redis-cluster';
import { samples } from './support';

const fixture = useThrowAwayCluster(3);

it('on a 3-master cluster, each prefix is one hash tag: one script call per flush writes every metric without CROSSSLOT, and the collector finds them', async () => {
  const { cluster } = fixture;
  const prefixes = ['app-a:metrics', 'app-b:metrics', 'app-c:metrics', 'app-d:metrics'];
  const slots = new Set<number>();
  for (const prefix of prefixes) {
    const sink = new RedisMetricsSink({ redis: cluster, prefix, flushIntervalMs: 60_000 });
    for (let i = 0; i < 20; i++) {
      const spec: MetricSpec = { name: `m${i}_total`, help: `M${i}`, type: 'counter' };
      sink.record(spec, undefined, i + 1);
    }
    await sink.dispose();
    const keys = Array.from({ length: 20 }, (_, i) => `{${prefix}}:m:m${i}_total`);
    const keySlots = new Set(await Promise.all(keys.map(async (key) => Number(await cluster.cluster('KEYSLOT', key)))));
    expect(keySlots.size).toBe(1);
    slots.add([...keySlots][0] as number);
    const collected = samples(await collectFromRedis({ redis: cluster, prefix }));
    expect(Array.from({ length: 20 }, (_, i) => collected.get(`m${i}_total`))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  }
  // Different prefixes land on different slots, so sinks spread over the masters.
  expect(slots.size).toBe(prefixes.length);
}, 30_000);
