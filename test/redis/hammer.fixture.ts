// One process of the multi-process exactness test: CONSUMERS concurrent loops consume one key
// from START_AT until END_AT (epoch ms) and print how many were admitted.
import { Redis } from 'ioredis';
import type { RateLimitRule } from '../../src/rate-limiter/index';
import { RedisStore } from '../../src/redis/index';

const env = process.env as Record<string, string>;
const redis = new Redis(env.REDIS_URL as string, { enableOfflineQueue: false, lazyConnect: true });
await redis.connect();
const rule = JSON.parse(env.RULE as string) as RateLimitRule;
const store = new RedisStore({ redis, prefix: env.PREFIX as string, timeoutMs: 5_000 });
const startAt = Number(env.START_AT);
const endAt = Number(env.END_AT);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
let admitted = 0;
await Promise.all(
  Array.from({ length: Number(env.CONSUMERS) }, async () => {
    while (Date.now() < endAt) if ((await store.consume('hot', 1, rule)).allowed) admitted++;
  }),
);
redis.disconnect();
process.stdout.write(`admitted ${admitted}\n`);
