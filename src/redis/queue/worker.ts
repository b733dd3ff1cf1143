/**
 * QueueWorker: takes a queue's jobs in batches with a lease and runs them under bulwark policies.
 * @module
 */
import { ignore } from '../../core/ignore';
import { randomBytes } from 'node:crypto';
import { CircuitOpenError } from '../../circuit-breaker/index';
import { sleep } from '../../core/clock';
import { parseOptions } from '../../core/config';
import { ConfigError } from '../../core/errors';
import { getLogger } from '../../core/logger';
import { JobAbortedError } from './errors';
import { Fetcher, type FetchReply } from './fetching';
import type { QueueInternals } from './internals';
import { Leases } from './leases';
import { REDIS_QUEUE_DEFAULTS, workerCrossCheck, workerOptionsSchema, type WorkerOptions } from './options';
import { OutcomeWriter } from './outcomes';
import { JobRunner, type JobHandler, type JobHandlers } from './running';
import { WakeWait } from './wake-wait';

/** Options of {@link QueueWorker.close}. */
export interface CloseOptions {
  /** How long to wait for running jobs before aborting them and handing their leases back, in ms. @defaultValue 5000 */
  drainMs?: number;
}

/** How often a worker whose shared limiter is full without any of its own jobs looks again, in ms. */
const FULL_LIMITER_POLL_MS = 50;

/**
 * A worker of a {@link RedisQueue}, made by `queue.process(...)`. It loops: one script run moves
 * up to as many ready jobs as it has free slots into active with a lease (promoting due delayed
 * jobs on the way, and sweeping stalled ones at most every `blockMs`); when none is ready it
 * blocks on its own connection (`duplicate()`) for at most `blockMs`, so that an idle worker costs
 * no round trips. Each job runs through the concurrency limit (a Bulkhead of `concurrency`, or the
 * `limiter`), the optional `policy`, and a Timeout of the job's `timeoutMs`; completions are
 * written in batches, and every write checks that this worker still holds the job's lease. Leases are extended every
 * `leaseMs / 3` in one call for all held jobs.
 *
 * On Redis failures (its breaker opens, calls time out) the worker pauses, emitting `pause`, and
 * resumes by itself with `resume`; it never throws into the process.
 */
export class QueueWorker implements AsyncDisposable {
  /** A job's time limit when the job gives none, in ms. */
  readonly timeoutMs: number;
  /** How long a lease lasts without renewal, in ms. */
  readonly leaseMs: number;
  /** Longest blocking wait, in ms. */
  readonly blockMs: number;
  readonly #q: QueueInternals;
  readonly #leases: Leases;
  readonly #fetcher: Fetcher;
  readonly #outcomes: OutcomeWriter;
  readonly #runner: JobRunner;
  readonly #wake: WakeWait;
  readonly #stop = new AbortController();
  readonly #onClosed: (worker: QueueWorker) => void;
  readonly #loop: Promise<void>;
  #pausedAt: number | undefined;
  #closing: Promise<void> | undefined;

  /** @internal made by {@link RedisQueue.process} */
  constructor(
    internals: QueueInternals,
    handlers: JobHandler<never> | JobHandlers,
    options: WorkerOptions | undefined,
    onClosed: (worker: QueueWorker) => void,
  ) {
    const resolved = parseOptions(workerOptionsSchema, options, 'RedisQueue worker options', workerCrossCheck);
    const routed = typeof handlers === 'object' && handlers !== null && Object.values(handlers).every((h) => typeof h === 'function');
    if (typeof handlers !== 'function' && !routed) {
      const message = 'must be a function, or an object of functions by job type';
      throw new ConfigError('RedisQueue worker handlers', [{ path: 'handlers', message }]);
    }
    const id = randomBytes(6).toString('hex');
    this.#q = internals;
    this.timeoutMs = resolved.timeoutMs ?? REDIS_QUEUE_DEFAULTS.timeoutMs;
    this.leaseMs = resolved.leaseMs ?? REDIS_QUEUE_DEFAULTS.leaseMs;
    this.blockMs = resolved.blockMs ?? REDIS_QUEUE_DEFAULTS.blockMs;
    this.#leases = new Leases(internals, id, this.leaseMs);
    this.#fetcher = new Fetcher(internals, this.#leases, id, this.leaseMs, this.blockMs);
    this.#outcomes = new OutcomeWriter(internals, this.#leases, this.#stop.signal);
    const settings = {
      handlers,
      limiter: resolved.limiter,
      concurrency: resolved.concurrency ?? REDIS_QUEUE_DEFAULTS.concurrency,
      bulkheadName: `${internals.name}:worker-${id}`,
      policy: resolved.policy,
      timeoutMs: this.timeoutMs,
    };
    this.#runner = new JobRunner(internals, settings, this.#leases, this.#outcomes);
    this.#wake = new WakeWait(internals.calls.redis, internals.keys.wake, internals.name, this.#stop.signal);
    this.#onClosed = onClosed;
    this.#loop = this.#run();
  }

  /** Whether it stopped taking jobs because Redis fails. */
  get paused(): boolean {
    return this.#pausedAt !== undefined;
  }

  /** Jobs whose handler is running now. */
  get running(): number {
    return this.#runner.running;
  }

  /**
   * Stops taking jobs, waits up to `drainMs` for running ones, then aborts their `ctx.signal`
   * (reason {@link JobAbortedError}, `workerClosed`) and hands their leases back (they go back to
   * ready, the try not counted), writes pending completions, and closes its blocking connection.
   * Never rejects; idempotent. A closed worker keeps nothing alive.
   */
  close(options?: CloseOptions): Promise<void> {
    return (this.#closing ??= this.#close(options?.drainMs ?? REDIS_QUEUE_DEFAULTS.drainMs));
  }

  /** Same as `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(drainMs: number): Promise<void> {
    this.#stop.abort();
    this.#runner.interrupt();
    this.#wake.close();
    await this.#runner.drain(drainMs);
    await this.#loop;
    const stuck = this.#leases.running();
    for (const held of stuck) held.scope.abort(new JobAbortedError(held.job.id, 'workerClosed'));
    await this.#leases.release(stuck);
    await this.#outcomes.settle();
    this.#leases.stop();
    this.#runner.dispose();
    this.#onClosed(this);
  }

  get #closingNow(): boolean {
    return this.#stop.signal.aborted;
  }

  /** The loop: take jobs while there are free slots, block while none is ready, pause on Redis failures. */
  async #run(): Promise<void> {
    const runner = this.#runner;
    const outcomes = this.#outcomes;
    while (!this.#closingNow) {
      const free = runner.freeSlots();
      if (free === 0) {
        if (runner.running === 0) {
          // A limiter shared with other work is full, and none of its calls are ours to wait for.
          await sleep(FULL_LIMITER_POLL_MS, this.#stop.signal).catch(ignore);
          continue;
        }
        await runner.slotFreed();
        // Let the jobs that end in this turn free their slots too, so that one fetch takes them
        // all and acknowledges them (the flush leaves them to the fetch meanwhile).
        outcomes.carrying = true;
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      const acknowledged = outcomes.takeCompletions();
      let reply: FetchReply | undefined;
      try {
        reply = await this.#fetcher.fetch(free, acknowledged);
      } catch (error) {
        if (acknowledged.length > 0) outcomes.retryLater(acknowledged, error);
        if (this.#closingNow) break;
        await this.#pause(error);
        continue;
      }
      outcomes.acknowledgedByFetch(acknowledged, reply.acknowledged);
      // While a reply took fewer jobs than it asked for (none is left ready), wait for work: the
      // wait's own fetch takes what comes.
      // `asked`: how many jobs the reply in hand asked for (the fetch's, then each wait's own).
      let asked = free;
      while (reply !== undefined) {
        const next = this.#handle(reply, asked);
        if (next === 'closed') return;
        asked = runner.freeSlots();
        if (next === 'go' || asked === 0) break;
        reply = await this.#block(reply.nextDueMs, asked);
      }
    }
  }

  /**
   * Handles the jobs of a fetch's reply that asked for `count`; says whether the loop goes on,
   * blocks (it took fewer: none is left ready), or ends (closing).
   */
  #handle(reply: FetchReply, count: number): 'go' | 'block' | 'closed' {
    let taken: number;
    try {
      taken = this.#take(reply);
      this.#resumed(); // after #take: the jobs just taken are held, so a reclaim keeps them
    } catch (error) {
      // Not expected (a job hash written by something else than this queue?): log, go on.
      const message = 'bulwark: a queue worker could not start the jobs it took; they return when their leases run out';
      getLogger().error({ err: error, queue: this.#q.name }, message);
      return 'go';
    }
    if (taken < 0) return 'closed';
    return taken < count ? 'block' : 'go';
  }

  /**
   * Reports the stalled jobs of a fetch reply and starts the jobs it took; returns how many, or -1
   * when closing (their leases are handed back, a write that close() waits for). Synchronous: a
   * promise per fetch only for the rare case of closing.
   */
  #take(reply: FetchReply): number {
    this.#fetcher.reportStalled(reply);
    const taken = this.#fetcher.hold(reply);
    if (this.#closingNow) {
      this.#outcomes.track(this.#leases.release(taken));
      return -1;
    }
    for (const held of taken) this.#runner.start(held, reply.now);
    return taken.length;
  }

  /**
   * Waits for work: at most `blockMs`, or until the next delayed job is due. With the server's time
   * source, a fetch of up to `count` jobs rides right behind the blocking pop on its connection,
   * and its reply is returned; a reply that was lost is made up for by reclaiming what it took.
   */
  async #block(nextDueMs: number, count: number): Promise<FetchReply | undefined> {
    const waitMs = nextDueMs >= 0 ? Math.min(this.blockMs, nextDueMs) : this.blockMs;
    if (waitMs <= 0) return undefined;
    if (this.#q.clientTime) {
      // A fetch sent now would carry a time that is stale by the time it runs.
      await this.#wake.wait(waitMs);
      return undefined;
    }
    try {
      const fetcher = this.#fetcher;
      const prefix = fetcher.nextPrefix();
      const raw = await this.#wake.waitThenFetch(waitMs, (connection) => fetcher.sendOn(connection, count, prefix));
      return raw === undefined ? undefined : fetcher.reply(raw, prefix);
    } catch (error) {
      getLogger().debug({ err: error, queue: this.#q.name }, 'bulwark: a queue worker lost the reply of its waiting fetch; reclaiming');
      await this.#leases.reclaim();
      return undefined;
    }
  }

  async #pause(error: unknown): Promise<void> {
    if (this.#pausedAt === undefined) {
      this.#pausedAt = Date.now();
      getLogger().warn({ err: error, queue: this.#q.name }, 'bulwark: queue worker paused: Redis fails');
      const hub = this.#q.hub;
      if (hub.has('pause')) hub.emit('pause', Date.now(), { error });
    }
    const delayMs = error instanceof CircuitOpenError ? Math.min(Math.max(error.retryAfterMs, 10), 1_000) : 200;
    await sleep(delayMs, this.#stop.signal).catch(ignore);
  }

  #resumed(): void {
    const pausedAt = this.#pausedAt;
    if (pausedAt === undefined) return;
    this.#pausedAt = undefined;
    this.#outcomes.track(this.#leases.reclaim());
    getLogger().info({ queue: this.#q.name }, 'bulwark: queue worker resumed');
    const hub = this.#q.hub;
    if (hub.has('resume')) hub.emit('resume', Date.now(), { pausedMs: Date.now() - pausedAt });
  }
}
