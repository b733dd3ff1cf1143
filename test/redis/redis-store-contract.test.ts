import type { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import { RedisStore } from '../../src/redis/index';
import { describeStoreContract } from '../rate-limiter/store-contract';
import { connect, deleteUnder, sleep, uniquePrefix } from './support';

let redis: Redis;
let pipelined: Redis;
const prefix = uniquePrefix('contract');

beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
  pipelined = await connect(inject('redisUrl'), { autoPipelining: true });
});

afterAll(async () => {
  await deleteUnder(redis, prefix);
  redis.disconnect();
  pipelined.disconnect();
});

// Real time: advancing waits on the wall clock (plus a little, as the server's TIME moves on its own).
describeStoreContract('RedisStore (server time)', () => ({
  store: new RedisStore({ redis, prefix, timeoutMs: 1_000 }),
  advance: (ms) => sleep(ms + 5),
}));

describeStoreContract('RedisStore (client time)', () => ({
  store: new RedisStore({ redis, prefix, name: 'client-time', timeSource: 'client', timeoutMs: 1_000 }),
  advance: (ms) => sleep(ms + 5),
}));

describeStoreContract('RedisStore (enableAutoPipelining)', () => ({
  store: new RedisStore({ redis: pipelined, prefix, name: 'pipelined', timeoutMs: 1_000 }),
  advance: (ms) => sleep(ms + 5),
}));
