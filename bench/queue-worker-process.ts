/**
 * One worker process of bench:queue's "3 worker processes" row. The parent (bench/queue.ts) starts
 * it with the library, queue name and key prefix in its environment and talks to it over IPC: the
 * child says `ready` once connected, starts its worker (concurrency 50, no-op handler) on `start`,
 * reports how many jobs it completed (coalesced to one message per event-loop turn), and on `stop`
 * closes its worker and connections and exits.
 * @module
 */
import BeeQueue from 'bee-queue';
import { Worker as BullWorker } from 'bullmq';
import { Redis } from 'ioredis';

const env = process.env as Record<string, string | undefined>;
const library = env['BENCH_QUEUE_LIBRARY'];
const name = env['BENCH_QUEUE_NAME'] as string;
const prefix = env['BENCH_QUEUE_PREFIX'] as string;
const redisUrl = env['BENCH_QUEUE_REDIS_URL'] as string;
const concurrency = Number(env['BENCH_QUEUE_CONCURRENCY']);

/** A started worker: how to close it. */
type Stop = () => Promise<void>;

let completed = 0;
let reportScheduled = false;
/** Counts one completion; the parent hears the total once per event-loop turn. */
function onCompleted(): void {
  completed++;
  if (reportScheduled) return;
  reportScheduled = true;
  setImmediate(() => {
    reportScheduled = false;
    process.send?.({ completed });
  });
}

/** Connects, and returns how to start the library's worker. */
async function prepare(): Promise<() => Promise<Stop>> {
  if (library === 'bulwark') {
    const { RedisQueue } = (await import(env['BENCH_QUEUE_BULWARK_REDIS'] as string)) as typeof import('../src/redis/index');
    const redis = new Redis(redisUrl, { enableOfflineQueue: false, lazyConnect: true });
    await redis.connect();
    const queue = new RedisQueue({ redis, name, prefix, removeOnComplete: true, registry: false });
    queue.events.on('completed', onCompleted);
    return async () => {
      const worker = queue.process(() => {}, { concurrency });
      return async () => {
        await worker.close({ drainMs: 1_000 });
        queue.dispose();
        redis.disconnect();
      };
    };
  }
  if (library === 'bullmq') {
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    await connection.ping();
    return async () => {
      const worker = new BullWorker(name, async () => {}, { connection, prefix, concurrency });
      worker.on('completed', onCompleted);
      return async () => {
        await worker.close();
        connection.disconnect();
      };
    };
  }
  if (library === 'bee-queue') {
    const url = new URL(redisUrl);
    const queue = new BeeQueue(name, { prefix, redis: { host: url.hostname, port: Number(url.port || 6379) }, removeOnSuccess: true, sendEvents: false });
    await queue.ready();
    return async () => {
      queue.process(concurrency, async () => onCompleted());
      return async () => {
        await queue.close();
      };
    };
  }
  throw new Error(`unknown BENCH_QUEUE_LIBRARY '${String(library)}'`);
}

const start = await prepare();
let stop: Stop | undefined;
process.on('message', (message: unknown) => {
  if (message === 'start') {
    void start().then((started) => (stop = started));
  } else if (message === 'stop') {
    void (stop ?? (async () => {}))().then(() => process.disconnect());
  }
});
process.send?.('ready');
