/**
 * A job queue on Redis: `RedisQueue` from `bulwark/redis`, a producer and a worker in one program.
 *
 * - The producer adds 9 jobs of two types in one round trip (`addBulk`): 6 `email` and 3
 *   `thumbnail`, one of them `critical` (taken first).
 * - The worker routes jobs by type. The `email` handler is flaky: every third email fails on its
 *   first try, and the queue retries it after a short backoff (through its delayed set, by Redis
 *   server time); `ctx.signal` would abort at the job's time limit.
 * - The worker closes on SIGTERM, as a service should: it stops taking jobs, lets running ones
 *   finish (up to `drainMs`), then hands the leases of the rest back to the queue. The example
 *   also closes it once every job is done, and deletes its keys.
 *
 * Needs Redis at `REDIS_URL` (default `redis://127.0.0.1:6379`).
 * Run it: `npx tsx examples/queue-worker.ts`
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { RedisQueue, type Job } from 'bulwark/redis';

export interface QueueWorkerResult {
  /** The id of the first job a handler started: the critical one, added last. */
  readonly firstStarted: string;
  /** Completed jobs by type. */
  readonly completed: { readonly email: number; readonly thumbnail: number };
  /** Retries scheduled after a failed try. */
  readonly retries: number;
  /** Queue counts once everything ran. */
  readonly stats: { readonly ready: number; readonly active: number; readonly dead: number; readonly completed: number };
  /** Keys under the example's prefix after its cleanup. */
  readonly keysLeft: number;
}

interface Email {
  readonly to: string;
  readonly n: number;
}

export async function main(url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'): Promise<QueueWorkerResult> {
  const prefix = `bulwark-example-${randomBytes(4).toString('hex')}`;
  // enableOfflineQueue: false: no command waits in ioredis's queue while Redis is away (the
  // queue waits for the connection itself, within redisTimeoutMs, and pauses its workers).
  const redis = new Redis(url, { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const queue = new RedisQueue({ redis, name: 'mail', prefix, registry: false, backoff: { type: 'constant', initialDelayMs: 20 } });
  const completed = { email: 0, thumbnail: 0 };
  let retries = 0;
  const started: string[] = [];
  queue.events.on('retrying', () => retries++);
  try {
    await queue.addBulk<Email | string>([
      ...Array.from({ length: 6 }, (_, n) => ({ type: 'email', payload: { to: `user${n}@example.com`, n } })),
      { type: 'thumbnail', payload: 'a.png' },
      { type: 'thumbnail', payload: 'b.png' },
      { type: 'thumbnail', payload: 'urgent.png', options: { priority: 'critical' as const, jobId: 'urgent-thumbnail' } },
    ]);

    const allDone = new Promise<void>((resolve) => {
      queue.events.on('completed', (event) => {
        completed[event.jobType as keyof typeof completed]++;
        if (completed.email + completed.thumbnail === 9) resolve();
      });
    });
    const worker = queue.process(
      {
        email: async (job: Job<Email>, { signal }) => {
          started.push(job.id);
          if (job.payload.n % 3 === 0 && job.attempts === 1) throw new Error(`SMTP timeout for ${job.payload.to}`);
          await sendEmail(job.payload, signal);
        },
        thumbnail: async (job: Job<string>, { signal }) => {
          started.push(job.id);
          await resize(job.payload, signal);
        },
      },
      { concurrency: 4, timeoutMs: 5_000 },
    );
    const stop = (): void => void worker.close({ drainMs: 10_000 });
    process.once('SIGTERM', stop);

    await allDone;
    process.off('SIGTERM', stop);
    await worker.close({ drainMs: 10_000 });
    const { ready, active, dead, completed: done } = await queue.stats();
    return { firstStarted: started[0] as string, completed, retries, stats: { ready, active, dead, completed: done }, keysLeft: await cleanUp(redis, prefix) };
  } finally {
    redis.disconnect();
  }
}

/** Stands for a mail client call that honours the signal. */
function sendEmail(email: Email, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  void email;
  return new Promise((resolve) => setTimeout(resolve, 2));
}

/** Stands for an image resize that honours the signal. */
function resize(file: string, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  void file;
  return new Promise((resolve) => setTimeout(resolve, 2));
}

/** Deletes the example's keys (SCAN, never KEYS) and returns how many are left. */
async function cleanUp(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  let left = 0;
  for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) left += keys.length;
  return left;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await main());
}
