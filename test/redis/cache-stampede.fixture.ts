// One process of the Cache stampede test: once all PROCESSES are connected (a barrier counted in
// Redis under READY_KEY), CALLERS concurrent getOrLoad of KEY; the loader counts its runs in Redis
// (LOADS_KEY) and takes LOAD_MS. Prints the distinct answers, after any background refresh has ended.
import { Redis } from 'ioredis';
import { Cache } from '../../src/redis/index';

const env = process.env as Record<string, string>;
const redis = new Redis(env.REDIS_URL as string, { enableOfflineQueue: false, lazyConnect: true });
await redis.connect();
const cache = new Cache({ redis, prefix: env.PREFIX as string, ttlMs: 60_000, staleTtlMs: 60_000, registry: false, lockWaitMs: 10_000 });
const loader = async (): Promise<string> => {
  await redis.incr(env.LOADS_KEY as string);
  await new Promise((resolve) => setTimeout(resolve, Number(env.LOAD_MS)));
  return 'new';
};
await redis.incr(env.READY_KEY as string);
while (Number(await redis.get(env.READY_KEY as string)) < Number(env.PROCESSES)) await new Promise((resolve) => setTimeout(resolve, 2));
const answers = await Promise.all(Array.from({ length: Number(env.CALLERS) }, () => cache.getOrLoad(env.KEY as string, loader)));
while (cache.stats().loading > 0) await new Promise((resolve) => setTimeout(resolve, 10));
redis.disconnect();
process.stdout.write(`answers ${JSON.stringify([...new Set(answers)])}\n`);
