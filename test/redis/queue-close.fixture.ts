// A process that starts a worker on 3 jobs whose handlers ignore their signal, closes it with a
// short drainMs once all three run, disconnects, and must then exit by itself.
import { Redis } from 'ioredis';
import { RedisQueue } from '../../src/redis/index';

const env = process.env as Record<string, string>;
const redis = new Redis(env.REDIS_URL as string, { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 0 });
await redis.connect();
const queue = new RedisQueue({ redis, name: 'close', prefix: env.PREFIX as string, registry: false });
await queue.addBulk([1, 2, 3].map((payload) => ({ type: 't', payload })));
let started = 0;
const worker = queue.process(
  () => {
    if (++started === 3) void closeSoon();
    return new Promise(() => {}); // never settles and ignores ctx.signal
  },
  { concurrency: 3 },
);

async function closeSoon(): Promise<void> {
  const at = Date.now();
  await worker.close({ drainMs: 100 });
  process.stdout.write(`closed in ${Date.now() - at} ms\n`);
  redis.disconnect();
}
