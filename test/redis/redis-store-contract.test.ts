import type { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { afterAll, beforeAll, inject } from 'vitest';
import { RedisStore } from '../../src/redis/index';
import { describeStoreContract } from '../rate-limiter/store-contract';
import { connect, deleteUnder, sleep, uniquePrefix } from './support';

let redis: Redis;
let pipelined: Redis;
/** ioredis 5, the oldest peer the store supports, with auto-pipelining off and on. */
let redis5: Redis5;
let pipelined5: Redis5;
const prefix = uniquePrefix('contract');

async function connect5(url: string, enableAutoPipelining: boolean): Promise<Redis5> {
  const client = new Redis5(url, { enableOfflineQueue: false, enableAutoPipelining, lazyConnect: true });
  await client.connect();
  return client;
}

beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
  pipelined = await connect(inject('redisUrl'), { autoPipelining: true });
  redis5 = await connect5(inject('redisUrl'), false);
  pipelined5 = await connect5(inject('redisUrl'), true);
});

afterAll(async () => {
  await deleteUnder(redis, prefix);
  redis.disconnect();
  pipelined.disconnect();
  redis5.disconnect();
  pipelined5.disconnect();
});

// Real time: advancing waits on the wall clock (plus a little, as the server's TIME moves on its own).
describeStoreContract('RedisStore (server time)', () => ({
  store: new RedisStore({ redis, prefix, timeoutMs: 1_000 }),
  advance: (ms) => sleep(ms + 5),
}));

describeStoreContract('RedisStore (client time)', () => ({
  store: new RedisStore({ redis, prefix, namespace: 'client-time', timeSource: 'client', timeoutMs: 1_000 }),
  advance: (ms) => sleep(ms + 5),
}));

describeStoreContract('RedisStore (enableAutoPipelining)', () => ({
  store: new RedisStore({ redis: pipelined, prefix, namespace: 'pipelined', timeoutMs: 1_000 }),
  advance: (ms) => sleep(ms + 5),
}));

describeStoreContract('RedisStore (ioredis 5)', () => ({
  store: new RedisStore({ redis: redis5 as never, prefix, namespace: 'ioredis-5', timeoutMs: 1_000 }),
  advance: (ms) => sleep(ms + 5),
}));

describeStoreContract('RedisStore (ioredis 5, enableAutoPipelining)', () => ({
  store: new RedisStore({ redis: pipelined5 as never, prefix, namespace: 'ioredis-5-pipelined', timeoutMs: 1_000 }),
  advance: (ms) => sleep(ms + 5),
}));

