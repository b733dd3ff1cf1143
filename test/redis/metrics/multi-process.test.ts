import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { collectFromRedis } from '../../../src/redis/index';
import { connect, uniquePrefix } from '../support';
import { deleteMetrics, samples } from './support';

const run = promisify(execFile);
let redis: Redis;
const prefix = uniquePrefix('metrics-processes');

beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
});
afterAll(async () => {
  await deleteMetrics(redis, prefix);
  redis.disconnect();
});

it('4 processes counting through RedisMetricsSink: collectFromRedis shows the sum of what they did, per series', async () => {
  const fixture = fileURLToPath(new URL('./increments.fixture.ts', import.meta.url));
  const outputs = await Promise.all(
    [1, 2, 3, 4].map((seed) =>
      run(process.execPath, ['--import', 'tsx', fixture], {
        env: { ...process.env, REDIS_URL: inject('redisUrl'), PREFIX: prefix, INSTANCE: `worker-${seed}`, SEED: String(seed) },
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
  const collected = samples(await collectFromRedis({ redis, prefix }));
  for (const [series, value] of expected) expect([series, collected.get(series)]).toEqual([series, value]);
  // Each process observed 500 each of 0, 0.75, 1.5 and 2.25.
  expect(collected.get('latency_seconds_count')).toBe(8_000);
  expect(collected.get('latency_seconds_bucket{le="0.5"}')).toBe(2_000);
  expect(collected.get('latency_seconds_bucket{le="2"}')).toBe(6_000);
  expect(collected.get('latency_seconds_bucket{le="+Inf"}')).toBe(8_000);
  expect(collected.get('latency_seconds_sum')).toBe(4 * 500 * (0.75 + 1.5 + 2.25));
  // The workers gauge (prom-client's default aggregator, sum): 1 + 2 + 3 + 4.
  expect(collected.get('workers')).toBe(10);
}, 60_000);
