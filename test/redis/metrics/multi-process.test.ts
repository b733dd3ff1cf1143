import type { Redis } from 'ioredis';
import { afterAll, beforeAll, it, inject } from 'vitest';
import { collectFromRedis } from '../../../src/redis/index';
import { connect, uniquePrefix } from '../support';
import { deleteMetrics, expectFourProcessesAddUp, runFourProcesses } from './support';

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
  const expected = await runFourProcesses({ REDIS_URL: inject('redisUrl'), PREFIX: prefix });
  expectFourProcessesAddUp(await collectFromRedis({ redis, prefix }), expected);
}, 60_000);
