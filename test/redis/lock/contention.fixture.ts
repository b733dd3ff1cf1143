// One process of the Lock's multi-process test: WORKERS concurrent loops share ACQUISITIONS
// acquisitions of the lock KEY from START_AT (epoch ms). Inside the lock each holder INCRs a shared
// counter (1 means nobody else is inside), appends its fence to a shared list, and DECRs the
// counter before it releases. Prints `{ acquired, overlaps, lostReleases }` as JSON.
import { Redis } from 'ioredis';
import { Lock } from '../../../src/redis/index';

const env = process.env as Record<string, string>;
const redis = new Redis(env.REDIS_URL as string, { enableOfflineQueue: false, lazyConnect: true });
await redis.connect();
const prefix = env.PREFIX as string;
const lock = new Lock({ redis, prefix, timeoutMs: 5_000, retryDelayMs: 2, maxRetryDelayMs: 20, registry: false });
let left = Number(env.ACQUISITIONS);
let acquired = 0;
let overlaps = 0;
let lostReleases = 0;
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(env.START_AT) - Date.now())));
await Promise.all(
  Array.from({ length: Number(env.WORKERS) }, async () => {
    while (left > 0) {
      left--;
      const lease = await lock.acquire(env.KEY as string, { ttlMs: 10_000, waitMs: 60_000 });
      acquired++;
      if ((await redis.incr(`${prefix}:inside`)) !== 1) overlaps++;
      await redis.rpush(`${prefix}:fences`, String(lease.fence));
      await redis.decr(`${prefix}:inside`);
      if (!(await lease.release())) lostReleases++;
    }
  }),
);
redis.disconnect();
process.stdout.write(`${JSON.stringify({ acquired, overlaps, lostReleases })}\n`);
