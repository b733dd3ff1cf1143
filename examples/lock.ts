/**
 * A job that must run in one place at a time across processes: `Lock` from `bulwark/redis`.
 *
 * - Two Locks stand for two processes, each with its own ioredis connection; both use the same
 *   prefix, so they share the lock `invoice:42`.
 * - The first process finalises the invoice inside `withLock`, which extends the lease while the
 *   work runs and releases it at the end. The second process tries at the same time with a short
 *   `waitMs` and is refused with `LockTimeoutError`; then it tries again with a longer one and gets
 *   the lock once the first is done.
 * - Every write carries the lease's `fence`: the simulated invoice store refuses a write whose fence
 *   is lower than one it has seen, which is what protects it from a holder that lost its lock (a
 *   long pause, a Redis failover) without knowing.
 * - The example uses its own key prefix, deletes its keys at the end and closes its connections.
 *
 * Needs Redis at `REDIS_URL` (default `redis://127.0.0.1:6379`).
 * Run it: `npx tsx examples/lock.ts`
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { isBulwarkError } from 'bulwark';
import { Lock, type LockContext } from 'bulwark/redis';

export interface LockResult {
  /** What each attempt ended with, in order. */
  readonly attempts: readonly string[];
  /** The writes the invoice store accepted, as `process: fence`. */
  readonly accepted: readonly string[];
  /** The write of a stale fence that the store refused. */
  readonly refusedStaleWrite: string;
  /** Keys under the example's prefix after its cleanup. */
  readonly keysLeft: number;
}

/** An invoice store that remembers the highest fence it has seen and refuses older ones. */
class InvoiceStore {
  #highestFence = 0;
  readonly accepted: string[] = [];

  write(writer: string, fence: number): void {
    if (fence < this.#highestFence) throw new Error(`stale fence ${fence} < ${this.#highestFence}`);
    this.#highestFence = fence;
    this.accepted.push(`${writer}: ${fence}`);
  }
}

/** A connected client that never queues a command while disconnected. */
async function connect(url: string): Promise<Redis> {
  const redis = new Redis(url, { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  return redis;
}

export async function main(url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'): Promise<LockResult> {
  const prefix = `bulwark-example-${randomBytes(4).toString('hex')}`;
  const clients = [await connect(url), await connect(url)];
  const [first, second] = clients.map((redis, n) => new Lock({ redis, prefix, name: `invoices-${n + 1}`, registry: false })) as [Lock, Lock];
  const store = new InvoiceStore();
  const attempts: string[] = [];
  try {
    const finalise = (writer: string) => async ({ lease, signal }: LockContext) => {
      await delay(100, undefined, { signal }); // the work: stops if the lease is lost
      store.write(writer, lease.fence);
      return `${writer} finalised invoice 42 with fence ${lease.fence}`;
    };
    const running = first.withLock('invoice:42', finalise('process-1'), { ttlMs: 1_000 });
    await delay(10);
    try {
      await second.withLock('invoice:42', finalise('process-2'), { ttlMs: 1_000, waitMs: 20 });
    } catch (error) {
      if (!isBulwarkError(error, 'LOCK_TIMEOUT')) throw error;
      attempts.push(`process-2 refused: ${error.message}`);
    }
    attempts.push(await running);
    attempts.push(await second.withLock('invoice:42', finalise('process-2'), { ttlMs: 1_000, waitMs: 2_000 }));

    let refusedStaleWrite = '';
    try {
      store.write('a holder that lost its lock', 1);
    } catch (error) {
      refusedStaleWrite = (error as Error).message;
    }

    const redis = clients[0] as Redis;
    await redis.del(...Object.values(first.keysFor('invoice:42')));
    let keysLeft = 0;
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) keysLeft += keys.length;
    return { attempts, accepted: store.accepted, refusedStaleWrite, keysLeft };
  } finally {
    await Promise.all([first.dispose(), second.dispose()]);
    await Promise.all(clients.map((redis) => redis.quit()));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
