import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** A key prefix no other test uses, so that cleanup touches only this test's keys. */
export function uniquePrefix(label: string): string {
  return `bulwark-test:${label}:${randomBytes(4).toString('hex')}`;
}

/** A connected ioredis client that never queues commands while disconnected and reconnects every 50 ms. */
export async function connect(url: string, options: { autoPipelining?: boolean } = {}): Promise<Redis> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    enableAutoPipelining: options.autoPipelining ?? false,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
  });
  await redis.connect();
  return redis;
}

/** Every key under `prefix`, found with SCAN (never KEYS). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

/** Deletes every key under `prefix` (SCAN + DEL): the shared server is never flushed. */
export async function deleteUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Records every unhandled rejection of this process from now until `stop()`. */
export function watchUnhandledRejections(): { readonly reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const record = (reason: unknown): void => {
    reasons.push(reason);
  };
  process.on('unhandledRejection', record);
  return { reasons, stop: () => process.off('unhandledRejection', record) };
}
