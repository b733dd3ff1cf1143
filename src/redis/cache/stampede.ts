/**
 * Stampede protection across processes: one load of a key at a time, under a Redis lease.
 * @module
 */
import { sleep } from '../../core/clock';
import type { CacheSignals } from './signals';
import { decodeEntry, type ReadEntry } from './entry';
import { leaseKey } from './keys';
import type { CacheRedis } from './redis-calls';
import type { CacheSettings } from './settings';

/** First pause between two polls of a key another process loads, in ms; it doubles each time. */
const FIRST_POLL_MS = 5;
/** Longest pause between two polls, in ms. */
const MAX_POLL_MS = 100;

/**
 * What a miss may do: load the key (`lease` tells whether it holds the key's lease, i.e. no other
 * process loads it; without it the wait ran out or Redis failed), or use `answer`, the fresh
 * entry another process loaded meanwhile. `read` is the latest read of the entry.
 */
export type Turn = { readonly answer?: undefined; readonly lease: boolean; readonly read: ReadEntry } | { readonly answer: ReadEntry };

/**
 * Takes the key's lease, or waits until another process has loaded the key (at most
 * `lockWaitMs`). The lease is taken only if the entry is still the one last read (one script),
 * so a process that read before another's load finished reads the new value instead of loading
 * again. Waiting polls with backoff in real time (the lease lives on Redis's clock); `signal`
 * (the flight's) cuts it short.
 *
 * Pub/sub would wake waiters sooner but needs a subscriber connection per cache; polling costs a
 * few GETs per waiting process and key (one per process: callers share the process's flight).
 */
export async function takeTurn(
  redis: CacheRedis,
  settings: CacheSettings,
  signals: CacheSignals,
  redisKey: string,
  read: ReadEntry,
  holder: string,
  signal: AbortSignal,
): Promise<Turn> {
  const lease = leaseKey(redisKey);
  const deadline = Date.now() + settings.lockWaitMs;
  let current = read;
  let pause = FIRST_POLL_MS;
  for (;;) {
    try {
      const outcome = await redis.takeLease(redisKey, lease, current.token, holder, settings.loadTimeoutMs);
      if (outcome === 1) return { lease: true, read: current };
      if (outcome === 0) {
        const left = deadline - Date.now();
        if (left <= 0) return { lease: false, read: current };
        await sleep(Math.min(pause, left), signal);
        pause = Math.min(pause * 2, MAX_POLL_MS);
      }
      current = decodeEntry(await redis.get(redisKey), settings.serializer);
    } catch (error) {
      if (signal.aborted) throw error;
      signals.degraded(error);
      return { lease: false, read: current };
    }
    if (current.found && current.freshUntil > settings.clock.now()) return { answer: current };
  }
}
