import type { Redis } from 'ioredis';
import { sleep } from '../support';

/** Waits (polling Redis's own clock, at most `withinMs`) until `key` no longer exists. */
export async function untilGone(redis: Redis, key: string, withinMs = 2_000): Promise<void> {
  const giveUpAt = Date.now() + withinMs;
  while ((await redis.exists(key)) === 1) {
    if (Date.now() > giveUpAt) throw new Error(`${key} still exists after ${withinMs} ms`);
    await sleep(5);
  }
}

/** The rejection of `promise`, or a failure when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (error: unknown) => error,
  );
}
