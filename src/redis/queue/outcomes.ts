/**
 * What a worker writes when its jobs end, always under the job's lease: completions in batches,
 * failures one by one (a retry through the delayed set, or the dead-letter set).
 * @module
 * @internal
 */
import { sleep, unrefTimer } from '../../core/clock';
import { ErrorCode, isBulwarkError } from '../../core/errors';
import { getLogger } from '../../core/logger';
import { backoffDelay } from '../../retry/backoff';
import { backoffOf, type QueueInternals } from './internals';
import { leaseLost, type Held, type Leases } from './leases';

/** How long a write that failed waits before it is sent again, in ms. */
const WRITE_RETRY_MS = 250;

/**
 * The outcomes of one worker's jobs. Completions wait for the end of the event-loop turn and go
 * in one script run, unless the worker's next fetch is about to carry them (`carrying`). A write
 * that fails (Redis is away) is sent again while the lease lasts (leases are extended meanwhile).
 */
export class OutcomeWriter {
  /** The worker's next fetch will carry the pending completions: the flush leaves them to it. */
  carrying = false;
  readonly #q: QueueInternals;
  readonly #leases: Leases;
  readonly #stop: AbortSignal;
  #completions: Held[] = [];
  #flushScheduled = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #writes = new Set<Promise<void>>();
  /** The complete script's keys, made once: every batch of completions sends them. */
  readonly #completeKeys: readonly string[];
  /** The flush at the end of a turn: one function for every flush, rather than a closure each. */
  readonly #flushNow = (): void => this.#flush();

  /**
   * @param internals - the queue
   * @param leases - the worker's leases (a written job is forgotten)
   * @param stop - aborts when the worker closes (no more retries of failed writes)
   */
  constructor(internals: QueueInternals, leases: Leases, stop: AbortSignal) {
    this.#q = internals;
    this.#leases = leases;
    this.#stop = stop;
    const k = internals.keys;
    this.#completeKeys = [k.jobs, k.active, k.completed];
  }

  /** A job's handler succeeded: its completion goes with the next batch. */
  completed(held: Held): void {
    this.#completions.push(held);
    this.#scheduleFlush();
  }

  /**
   * A job's try failed with `error`: it is retried after the backoff through the delayed set, or
   * dead-lettered (last try, {@link UnrecoverableError}, unknown type).
   */
  failed(held: Held, error: unknown): void {
    const job = held.job;
    const unrecoverable = isBulwarkError(error, ErrorCode.JobUnrecoverable) || isBulwarkError(error, ErrorCode.JobTypeUnknown);
    const delayMs =
      unrecoverable || job.attempts >= job.maxAttempts
        ? -1
        : Math.round(backoffDelay(backoffOf(this.#q.backoff, job.backoff), job.attempts, 0, error));
    held.failure = { delayMs, error, unrecoverable };
    this.#q.counters.failed++;
    const hub = this.#q.hub;
    if (hub.has('failed')) {
      hub.emit('failed', Date.now(), { jobId: job.id, jobType: job.type, attempt: job.attempts, runMs: Date.now() - held.startedAt, error });
    }
    this.track(this.#fail(held));
  }

  /** Hands the pending completions to a fetch that carries them. */
  takeCompletions(): Held[] {
    const batch = this.#completions;
    this.#completions = [];
    this.carrying = false;
    return batch;
  }

  /** What a fetch answered to the completions it carried; completions that ended meanwhile are written soon. */
  acknowledgedByFetch(batch: readonly Held[], flags: readonly number[]): void {
    this.#acknowledged(batch, flags);
    if (this.#completions.length > 0) this.#scheduleFlush();
  }

  /** A write failed (Redis is away): sends it again shortly, while the lease lasts. */
  retryLater(held: readonly Held[], error: unknown): void {
    getLogger().warn({ err: error, queue: this.#q.name, jobs: held.length }, 'bulwark: a queue write failed; retrying');
    if (this.#stop.aborted) return;
    for (const one of held) {
      if (one.failure === undefined) this.#completions.push(one);
      else this.track(sleep(WRITE_RETRY_MS, this.#stop).then(() => this.#fail(one), () => {}));
    }
    this.#retryTimer ??= setTimeout(() => {
      this.#retryTimer = undefined;
      this.#flush();
    }, WRITE_RETRY_MS);
    unrefTimer(this.#retryTimer);
  }

  /** Keeps `write` until it settles, so that {@link OutcomeWriter.settle} waits for it. */
  track(write: Promise<void>): void {
    this.#writes.add(write);
    const forget = (): void => {
      this.#writes.delete(write);
    };
    write.then(forget, forget);
  }

  /** Writes the pending completions now and waits for every write in progress (the worker closes). */
  async settle(): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.#flush();
    await Promise.allSettled(this.#writes);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(this.#flushNow);
  }

  /** Writes every pending completion in one script run, unless the next fetch is about to carry them. */
  #flush(): void {
    this.#flushScheduled = false;
    if (this.#completions.length === 0 || (this.carrying && !this.#stop.aborted)) return;
    const batch = this.#completions;
    this.#completions = [];
    this.track(this.#complete(batch));
  }

  async #complete(batch: Held[]): Promise<void> {
    const args: (string | number)[] = [this.#q.now(), this.#q.removeOnComplete ? 1 : 0];
    for (const held of batch) args.push(held.job.id, held.token);
    let flags: number[];
    try {
      flags = (await this.#q.calls.script('complete', this.#completeKeys, args)) as number[];
    } catch (error) {
      this.retryLater(batch, error);
      return;
    }
    this.#acknowledged(batch, flags);
  }

  /** What Redis answered to the completion of `batch`: 1 completed, 0 lease lost. */
  #acknowledged(batch: readonly Held[], flags: readonly number[]): void {
    const hub = this.#q.hub;
    const listeners = this.#q.listeners.completed;
    const now = Date.now();
    for (let index = 0; index < batch.length; index++) {
      const held = batch[index] as Held;
      this.#leases.forget(held);
      if (flags[index] !== 1) {
        leaseLost(held, 'completion');
        continue;
      }
      this.#q.counters.completed++;
      if (listeners.anyone) {
        hub.emit('completed', now, { jobId: held.job.id, jobType: held.job.type, attempt: held.job.attempts, runMs: now - held.startedAt });
      }
    }
  }

  async #fail(held: Held): Promise<void> {
    const k = this.#q.keys;
    const { delayMs, error, unrecoverable } = held.failure as NonNullable<Held['failure']>;
    const job = held.job;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const stack = error instanceof Error ? (error.stack ?? '') : '';
    let written: unknown;
    try {
      const keys = [k.jobs, k.active, k.delayed, k.dead, k.ready, k.wake, k.seq];
      written = await this.#q.calls.script('fail', keys, [this.#q.now(), job.id, held.token, delayMs, message, stack]);
    } catch (failure) {
      this.retryLater([held], failure);
      return;
    }
    this.#leases.forget(held);
    if (written !== 1) return leaseLost(held, 'failure');
    const hub = this.#q.hub;
    if (delayMs >= 0) {
      this.#q.counters.retried++;
      if (hub.has('retrying')) hub.emit('retrying', Date.now(), { jobId: job.id, jobType: job.type, attempt: job.attempts, delayMs });
      return;
    }
    this.#q.counters.dead++;
    if (hub.has('dead')) {
      const reason = unrecoverable ? 'unrecoverable' : 'exhausted';
      hub.emit('dead', Date.now(), { jobId: job.id, jobType: job.type, attempts: job.attempts, reason, error });
    }
  }
}
