/**
 * The blocking wait of an idle worker, on a connection of its own.
 * @module
 * @internal
 */
import { ignore } from '../../core/ignore';
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
 * fetch decides whether Redis is away). A wait may carry the worker's next fetch right behind the
 * pop (`waitThenFetch`). `close()` disconnects it, which ends a wait at once.
 */
export class WakeWait {
  readonly #redis: Redis | Cluster;
  readonly #key: string;
  readonly #name: string;
  readonly #stop: AbortSignal;
  #connection: Redis | Cluster | undefined;
  #closed = false;

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
    const connection = this.#readyConnection() ?? (await this.#whenReady(waitMs));
    if (connection === undefined) return;
    await this.#unlessStuck(connection, waitMs, this.#pop(connection, waitMs));
  }

  /**
   * Waits as {@link WakeWait.wait} does, with the worker's next fetch right behind the pop: both
   * are written in one turn on the waiting connection, and Redis runs the fetch as soon as the
   * pop returns (whatever the pop answered: a blocked connection's next command waits for it),
   * which saves the round trip between waking and fetching. Two commands rather than a pipeline:
   * the order on one connection is the same, without a Pipeline and its bookkeeping per wait.
   * @param sendFetch - sends the fetch on the connection, right after the pop
   * @returns the fetch's reply, or undefined when the connection was not ready (nothing was sent)
   * @throws when the fetch was sent and its reply did not come (the connection dropped or hung)
   */
  async waitThenFetch(waitMs: number, sendFetch: (connection: Redis | Cluster) => Promise<unknown>): Promise<unknown> {
    const connection = this.#readyConnection() ?? (await this.#whenReady(waitMs));
    if (connection === undefined) return undefined;
    // The pop's own reply is not needed: the fetch's reply (or its failure) says how the wait ended.
    connection.blpop(this.#key, Math.max(waitMs, 1) / 1_000).catch(ignore);
    const outcome = await this.#unlessStuck(connection, waitMs, sendFetch(connection));
    if (outcome === NO_REPLY) throw new Error('the blocking connection did not answer');
    return outcome;
  }

  /** Pops the wake list on `connection`, waiting at most `waitMs`; resolves however the pop ends. */
  #pop(connection: Redis | Cluster, waitMs: number): Promise<void> {
    return connection.blpop(this.#key, Math.max(waitMs, 1) / 1_000).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Its connection when it is ready now (no promise for the common wait), else undefined. */
  #readyConnection(): Redis | Cluster | undefined {
    const connection = this.#connectionInUse();
    return connection?.status === 'ready' ? connection : undefined;
  }

  /** Its connection once ready, after waiting for it (at most 100 ms); undefined if not ready by then. */
  async #whenReady(waitMs: number): Promise<Redis | Cluster | undefined> {
    const connection = this.#connectionInUse();
    if (connection === undefined) return undefined;
    const outcome = await readinessOf(connection).wait(Math.min(waitMs, NOT_READY_WAIT_MS));
    if (outcome === 'ready' && !this.#stop.aborted) return connection;
    if (outcome !== 'timeout') await sleep(Math.min(waitMs, NOT_READY_WAIT_MS), this.#stop).catch(ignore);
    return undefined;
  }

  /**
   * Resolves with what `reply` resolves with, or with NO_REPLY when it has not settled a second
   * after the pop's own timeout: then the connection is replaced (a pop stuck after a reconnect).
   */
  #unlessStuck<T>(connection: Redis | Cluster, waitMs: number, reply: Promise<T>): Promise<T | typeof NO_REPLY> {
    // One promise and one timer per wait, settled by whichever comes first (what Promise.race
    // with a timer promise and a finally would do, with a third of the promises).
    return new Promise<T | typeof NO_REPLY>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.#stop.aborted) {
          connection.disconnect();
          this.#connection = undefined;
        }
        resolve(NO_REPLY);
      }, waitMs + STUCK_GRACE_MS);
      reply.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** Closes its connection for good; a wait in progress ends at once, and later waits return at once. */
  close(): void {
    this.#closed = true;
    this.#connection?.disconnect();
    this.#connection = undefined;
  }

  /** Its connection, made again when it ended; undefined once closed. */
  #connectionInUse(): Redis | Cluster | undefined {
    if (this.#closed) return undefined;
    let connection = this.#connection;
    if (connection === undefined || connection.status === 'end') {
      connection = (this.#redis as Redis).duplicate();
      connection.on('error', (error: unknown) => {
        getLogger().debug({ err: error, queue: this.#name }, 'bulwark: queue blocking connection error');
      });
      if (connection.status === 'wait') connection.connect().catch(ignore);
      this.#connection = connection;
    }
    return connection;
  }
}
