// One worker process of the no-loss test: concurrency 10; each run logs `S|id|pid` when it starts
// and `E|id|pid` when its handler ends, in one Redis list, so that the test can check that no job
// ran twice at once. Closes on SIGTERM.
import { Redis } from 'ioredis';
import { RedisQueue } from '../../src/redis/index';

const env = process.env as Record<string, string>;
const redis = new Redis(env.REDIS_URL as string, { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 0 });
await redis.connect();
const queue = new RedisQueue({ redis, name: 'no-loss', prefix: env.PREFIX as string, registry: false });
const log = `${env.PREFIX}:log`;
const worker = queue.process(
  async (job) => {
    await redis.rpush(log, `S|${job.id}|${process.pid}`);
    await new Promise((resolve) => setTimeout(resolve, 1 + (Number(job.payload) % 3)));
    await redis.rpush(log, `E|${job.id}|${process.pid}`);
  },
  { concurrency: 10, leaseMs: 1_000, blockMs: 200 },
);
process.once('SIGTERM', () => {
  void worker.close({ drainMs: 2_000 }).then(() => redis.disconnect());
});
process.stdout.write('ready\n');
