/**
 * The blocking wait of an idle worker, on a connection of its own.
 * @module
 * @internal
 */
import type { Cluster, Redis } from 'ioredis';
import { sleep } from '../../core/clock';
import { getLogger } from '../../core/logger';
import { readinessOf } from '../readiness';

const NO_REPLY = Symbol('noReply');

/** How long a pop may outlive its own timeout before its connection counts as stuck, in ms. */
const STUCK_GRACE_MS = 1_000;

/** Longest wait for a connection that is not ready before the worker fetches again, in ms. */
const NOT_READY_WAIT_MS = 100;

/**
 * Blocks on the queue's `wake` list with BLPOP on a connection made with `redis.duplicate()` when
 * the worker starts (so that it is ready by the worker's first wait), so that waiting never holds
 * up the commands of the shared connection. While that connection is not ready, a wait lasts
 * until it is (then pops), at most 100 ms. A pop that
 * neither resolves nor rejects after a reconnect (bullmq #36) is given up a second after its own
 * timeout and its connection replaced; any error ends the wait (the worker then fetches, and its
 * fetch decides whether Redis is away). `close()` disconnects it, which ends a wait at once.
 */
export class WakeWait {
  readonly #redis: Redis | Cluster;
  readonly #key: string;
  readonly #name: string;
  readonly #stop: AbortSignal;
  #connection: Redis | Cluster | undefined;

  /**
   * @param redis - the queue's connection, duplicated for the wait
   * @param key - the wake list
   * @param name - the queue's name, for logs
   * @param stop - aborts when the worker closes
   */
  constructor(redis: Redis | Cluster, key: string, name: string, stop: AbortSignal) {
    this.#redis = redis;
    this.#key = key;
    this.#name = name;
    this.#stop = stop;
    this.#connectionInUse();
  }

  /** Waits at most `waitMs` for the wake list (at most 100 ms for a connection that is not ready). */
  async wait(waitMs: number): Promise<void> {
    const connection = this.#connectionInUse();
    if (connection.status !== 'ready') {
      const outcome = await readinessOf(connection).wait(Math.min(waitMs, NOT_READY_WAIT_MS));
      if (outcome === 'timeout') return;
      if (outcome !== 'ready' || this.#stop.aborted) {
        await sleep(Math.min(waitMs, NOT_READY_WAIT_MS), this.#stop).catch(() => {});
        return;
      }
    }
    const popped = connection.blpop(this.#key, Math.max(waitMs, 1) / 1_000);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      popped.then(
        () => undefined,
        () => undefined,
      ),
      new Promise<typeof NO_REPLY>((resolve) => {
        timer = setTimeout(() => resolve(NO_REPLY), waitMs + STUCK_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    if (outcome === NO_REPLY && !this.#stop.aborted) {
      connection.disconnect();
      this.#connection = undefined;
    }
  }

  /** Closes its connection; a wait in progress ends at once. */
  close(): void {
    this.#connection?.disconnect();
  }

  #connectionInUse(): Redis | Cluster {
    let connection = this.#connection;
    if (connection === undefined || connection.status === 'end') {
      connection = (this.#redis as Redis).duplicate();
      connection.on('error', (error: unknown) => {
        getLogger().debug({ err: error, queue: this.#name }, 'bulwark: queue blocking connection error');
      });
      if (connection.status === 'wait') connection.connect().catch(() => {});
      this.#connection = connection;
    }
    return connection;
  }
}
