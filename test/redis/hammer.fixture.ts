// One process of the multi-process exactness test: consumes one key through a RedisStore (see
// hammer-loop.ts for the loop and what it prints).
import { Redis } from 'ioredis';
import type { RateLimitRule } from '../../src/rate-limiter/index';
import { RedisStore } from '../../src/redis/index';
import { hammer } from './hammer-loop';

const env = process.env as Record<string, string>;
const redis = new Redis(env.REDIS_URL as string, { enableOfflineQueue: false, lazyConnect: true });
await redis.connect();
const rule = JSON.parse(env.RULE as string) as RateLimitRule;
const store = new RedisStore({ redis, prefix: env.PREFIX as string, timeoutMs: 5_000 });
await hammer(redis, async () => (await store.consume('hot', 1, rule)).allowed);
redis.disconnect();
