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
 * How a message completes "Redis connection …" for a wait that did not end `'ready'`, after
 * `waitedMs` ms, e.g. `did not become ready within 250 ms`.
 */
export function notReadyText(outcome: ReadyOutcome, waitedMs: number): string {
  switch (outcome) {
    case 'timeout':
      return `did not become ready within ${waitedMs} ms`;
    case 'ended':
      return 'is closed for good';
    case 'notConnecting':
      return 'is not connecting (created with lazyConnect and connect() not called)';
    default:
      return 'is not ready';
  }
}

/**
 * Whether `redis` says `ready` but its socket is no longer writable: the server went away and
 * ioredis has not seen the socket close yet. A command sent now would fail with ioredis's own
 * error (or sit in its offline queue), so callers refuse it instead.
 */
export function socketGone(redis: Redis | Cluster): boolean {
  return (redis as { readonly stream?: { readonly writable: boolean } }).stream?.writable === false;
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
