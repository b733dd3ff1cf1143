/**
 * Waiting, bounded, for an ioredis connection to become ready, without sending anything.
 * @module
 */
import type { Cluster, Redis } from 'ioredis';

/**
 * How a wait for readiness ended: `'ready'`; `'timeout'` when the time ran out first; `'ended'`
 * when the connection closed for good (status `end`: `disconnect()`, or no more reconnects);
 * `'notConnecting'` when nothing is connecting it (status `wait`: created with `lazyConnect` and
 * `connect()` not called yet).
 */
export type ReadyOutcome = 'ready' | 'timeout' | 'ended' | 'notConnecting';

/**
 * How a message completes "Redis connection …" for a command not sent after a wait of `waitedMs`
 * ms that ended with `outcome`, e.g. `did not become ready within 250 ms`; `'closing'` (or a wait
 * that ended `'ready'`): the connection was ready but not {@link Readiness.sendable}, its socket gone.
 */
export function notReadyText(outcome: ReadyOutcome | 'closing', waitedMs: number): string {
  switch (outcome) {
    case 'timeout':
      return `did not become ready within ${waitedMs} ms`;
    case 'ended':
      return 'is closed for good';
    case 'notConnecting':
      return 'is not connecting (created with lazyConnect and connect() not called)';
    case 'ready':
    case 'closing':
      return 'is closing (its socket is no longer writable)';
  }
}

/** One caller waiting for readiness. */
interface Waiter {
  readonly settle: (outcome: ReadyOutcome) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * The callers waiting for one connection to become ready. A caller that must not send while the
 * connection is down (a command would sit in ioredis's offline queue, or fail at once) waits here
 * instead, for at most its own time; nothing is queued in ioredis. Listeners on the connection
 * exist only while someone waits, and a caller whose time ran out is forgotten at once, so a long
 * outage holds nothing per call beyond the waits still running.
 */
export class Readiness {
  readonly #redis: Redis | Cluster;
  readonly #waiters = new Set<Waiter>();
  readonly #onReady = (): void => {
    if (this.#redis.status === 'ready') this.#settleAll('ready');
  };
  readonly #onEnd = (): void => this.#settleAll('ended');

  /** @param redis - the connection to watch */
  constructor(redis: Redis | Cluster) {
    this.#redis = redis;
  }

  /**
   * Whether a command sent now goes out at once: the connection is `ready` and its socket still
   * writable. A connection can say `ready` after the server went away, until ioredis sees its
   * socket close; a command sent then would sit in ioredis's offline queue (to be replayed after
   * a reconnect, long after its caller gave up) or fail with ioredis's own error. Every Redis
   * part asks this before it sends, and sends nothing when it is false.
   */
  sendable(): boolean {
    const redis = this.#redis;
    return redis.status === 'ready' && (redis as { readonly stream?: { readonly writable: boolean } }).stream?.writable !== false;
  }

  /**
   * Resolves once the connection is ready (at once if it is), or with why not after at most
   * `timeoutMs`. Never rejects.
   * @param timeoutMs - the longest wait, in ms, at most 2147483647
   */
  wait(timeoutMs: number): Promise<ReadyOutcome> {
    const status = this.#redis.status;
    if (status === 'ready') return Promise.resolve('ready');
    if (status === 'end') return Promise.resolve('ended');
    if (status === 'wait') return Promise.resolve('notConnecting');
    return new Promise((resolve) => {
      const waiter: Waiter = {
        settle: resolve,
        timer: setTimeout(() => {
          this.#forget(waiter);
          resolve('timeout');
        }, timeoutMs),
      };
      if (this.#waiters.size === 0) {
        this.#redis.on('ready', this.#onReady);
        this.#redis.on('end', this.#onEnd);
      }
      this.#waiters.add(waiter);
    });
  }

  #forget(waiter: Waiter): void {
    this.#waiters.delete(waiter);
    if (this.#waiters.size === 0) this.#stopListening();
  }

  #settleAll(outcome: ReadyOutcome): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    this.#stopListening();
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.settle(outcome);
    }
  }

  #stopListening(): void {
    this.#redis.off('ready', this.#onReady);
    this.#redis.off('end', this.#onEnd);
  }
}

/** One {@link Readiness} per connection, shared by every store that uses it. */
const readinessByConnection = new WeakMap<Redis | Cluster, Readiness>();

/** The {@link Readiness} of `redis`, made on first use. */
export function readinessOf(redis: Redis | Cluster): Readiness {
  let readiness = readinessByConnection.get(redis);
  if (readiness === undefined) {
    readiness = new Readiness(redis);
    readinessByConnection.set(redis, readiness);
  }
  return readiness;
}
