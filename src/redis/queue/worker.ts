/**
 * QueueWorker: takes a queue's jobs in batches with a lease and runs them under bulwark policies.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { AdaptiveConcurrencyLimiter } from '../../adaptive-concurrency/index';
import { Bulkhead } from '../../bulkhead/index';
import { CircuitOpenError } from '../../circuit-breaker/index';
import { MAX_TIMER_DELAY_MS, sleep, unrefTimer } from '../../core/clock';
import { parseOptions } from '../../core/config';
import { ConfigError, ErrorCode, isBulwarkError, isRejectedError } from '../../core/errors';
import { getLogger } from '../../core/logger';
import { compose, type ExecutionContext, type Pipeline } from '../../core/policy';
import { backoffDelay } from '../../retry/backoff';
import { Timeout } from '../../timeout/index';
import { JobAbortedError, UnknownJobTypeError } from './errors';
import { backoffOf, type QueueInternals } from './internals';
import { decodeJob, type Job } from './job';
import { REDIS_QUEUE_DEFAULTS, workerCrossCheck, workerOptionsSchema, type WorkerOptions } from './options';
import { WakeWait } from './wake-wait';
import { leaseLost, Leases, type Held } from './leases';

/** Runs one job; a rejection (or a throw) fails the try. */
export type JobHandler<Payload = unknown> = (job: Job<Payload>, ctx: ExecutionContext) => unknown;

/**
 * Handlers by job type. Each may declare its own payload type (`Job<Email>`): the queue does not
 * check payloads against it, so validate what producers you do not control send.
 */
export type JobHandlers = Readonly<Record<string, JobHandler<never>>>;

/** Options of {@link QueueWorker.close}. */
export interface CloseOptions {
  /** How long to wait for running jobs before aborting them and handing their leases back, in ms. @defaultValue 5000 */
  drainMs?: number;
}

const STALLED_ERROR = 'the lease of its last try ran out (its worker died, hung or lost Redis)';
/** How often a worker whose shared limiter is full without any of its own jobs looks again, in ms. */
const FULL_LIMITER_POLL_MS = 50;

/**
 * A worker of a {@link RedisQueue}, made by `queue.process(...)`. It loops: one script run moves
 * up to as many ready jobs as it has free slots into active with a lease (promoting due delayed
 * jobs and sweeping stalled ones on the way); when none is ready it blocks on its own connection
 * (`duplicate()`) for at most `blockMs`, so that an idle worker costs no round trips. Each job
 * runs through the concurrency limit (a Bulkhead of `concurrency`, or the `limiter`), the optional
 * `policy`, and a Timeout of the job's `timeoutMs`; completions are written in batches, and every
 * write checks that this worker still holds the job's lease. Leases are extended every
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
  readonly #handlers: JobHandlers | JobHandler<never>;
  readonly #known: readonly string[];
  readonly #concurrency: Bulkhead | AdaptiveConcurrencyLimiter;
  readonly #ownsBulkhead: boolean;
  /** Concurrency limit, the extra policy, and a Timeout that enforces each job's deadline (`timeoutMs` per call). */
  readonly #pipeline: Pipeline;
  readonly #id = randomBytes(6).toString('hex');
  readonly #leases: Leases;
  readonly #stop = new AbortController();
  readonly #onClosed: (worker: QueueWorker) => void;
  readonly #loop: Promise<void>;
  #fetches = 0;
  #running = 0;
  #slotFreed: (() => void) | undefined;
  #drained: (() => void) | undefined;
  readonly #wake: WakeWait;
  #pausedAt: number | undefined;
  #completions: Held[] = [];
  #flushScheduled = false;
  /** The loop waits a turn before its next fetch, which will carry the pending completions. */
  #carrying = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #writes = new Set<Promise<void>>();
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
    this.#q = internals;
    this.#handlers = handlers;
    this.#known = typeof handlers === 'function' ? [] : Object.keys(handlers);
    this.timeoutMs = resolved.timeoutMs ?? REDIS_QUEUE_DEFAULTS.timeoutMs;
    this.leaseMs = resolved.leaseMs ?? REDIS_QUEUE_DEFAULTS.leaseMs;
    this.blockMs = resolved.blockMs ?? REDIS_QUEUE_DEFAULTS.blockMs;
    this.#ownsBulkhead = resolved.limiter === undefined;
    this.#concurrency =
      resolved.limiter ??
      new Bulkhead({
        name: `${internals.name}:worker-${this.#id}`,
        maxInFlight: resolved.concurrency ?? REDIS_QUEUE_DEFAULTS.concurrency,
        registry: false,
      });
    // The Timeout's own limit is never the one that fires: each call's timeoutMs is its deadline,
    // so one pipeline serves every job's time limit (and the handler sees it as ctx.deadline).
    const timeout = new Timeout({ timeoutMs: MAX_TIMER_DELAY_MS, name: `${internals.name}:job-timeout`, registry: false });
    this.#pipeline = resolved.policy === undefined ? compose(this.#concurrency, timeout) : compose(this.#concurrency, resolved.policy, timeout);
    this.#wake = new WakeWait(internals.calls.redis, internals.keys.wake, internals.name, this.#stop.signal);
    this.#onClosed = onClosed;
    this.#leases = new Leases(internals, this.#id, this.leaseMs);
    this.#loop = this.#run();
  }

  /** Whether it stopped taking jobs because Redis fails. */
  get paused(): boolean {
    return this.#pausedAt !== undefined;
  }

  /** Jobs whose handler is running now. */
  get running(): number {
    return this.#running;
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
    this.#slotFreed?.();
    this.#wake.close();
    if (this.#running > 0 && drainMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        timer = setTimeout(resolve, drainMs);
      });
      clearTimeout(timer);
    }
    await this.#loop;
    const stuck = this.#leases.running();
    for (const held of stuck) held.controller.abort(new JobAbortedError(held.job.id, 'workerClosed'));
    await this.#leases.release(stuck);
    clearTimeout(this.#retryTimer);
    this.#flush();
    await Promise.all(this.#writes);
    this.#leases.stop();
    this.#wake.close();
    if (this.#ownsBulkhead) (this.#concurrency as Bulkhead).dispose();
    this.#onClosed(this);
  }

  get #closingNow(): boolean {
    return this.#stop.signal.aborted;
  }

  /** The loop: take jobs while there are free slots, block while none is ready, pause on Redis failures. */
  async #run(): Promise<void> {
    const k = this.#q.keys;
    const fetchKeys = [k.jobs, k.ready, k.active, k.delayed, k.dead, k.wake, k.seq, k.completed];
    while (!this.#closingNow) {
      const free = this.#freeSlots();
      if (free === 0) {
        if (this.#running === 0) {
          // A limiter shared with other work is full, and none of its calls are ours to wait for.
          await sleep(FULL_LIMITER_POLL_MS, this.#stop.signal).catch(() => {});
          continue;
        }
        await new Promise<void>((resolve) => (this.#slotFreed = resolve));
        this.#slotFreed = undefined;
        // Let the jobs that end in this turn free their slots too, so that one fetch takes them
        // all and acknowledges them (the flush leaves them to the fetch meanwhile).
        this.#carrying = true;
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      const calls = this.#q.calls;
      const acknowledged = this.#completions;
      this.#completions = [];
      this.#carrying = false;
      const token = `${this.#id}:${++this.#fetches}:`;
      const args: (string | number)[] = [this.#q.now(), free, this.leaseMs, token, STALLED_ERROR, this.#q.removeOnComplete ? 1 : 0];
      for (const held of acknowledged) args.push(held.job.id, held.token);
      let sent: Promise<unknown> | undefined;
      let reply: unknown[];
      try {
        reply = (await calls.call(() => (sent = calls.send('fetch', fetchKeys, args)))) as unknown[];
      } catch (error) {
        // A fetch that timed out may still run on the server: hand back whatever it took.
        if (sent !== undefined) void sent.then((late) => this.#leases.release(this.#heldFrom(late)), () => {});
        if (acknowledged.length > 0) this.#retryLater(acknowledged, error);
        if (this.#closingNow) break;
        await this.#pause(error);
        continue;
      }
      this.#acknowledged(acknowledged, reply[4] as number[]);
      if (this.#completions.length > 0) this.#scheduleFlush();
      let taken: number;
      try {
        taken = await this.#take(reply);
        this.#resumed(); // after #take: the jobs just taken are held, so a reclaim keeps them
      } catch (error) {
        // Not expected (a job hash written by something else than this queue?): log, go on.
        const message = 'bulwark: a queue worker could not start the jobs it took; they return when their leases run out';
        getLogger().error({ err: error, queue: this.#q.name }, message);
        continue;
      }
      if (taken < 0) break;
      if (taken === 0) await this.#block(Number(reply[1]));
    }
  }

  /** Reports the stalled jobs of a fetch reply and starts the jobs it took; returns how many, or -1 when closing. */
  async #take(reply: unknown[]): Promise<number> {
    const now = Number(reply[0]);
    this.#stalled(reply[2] as unknown[][]);
    const taken = this.#heldFrom(reply);
    if (this.#closingNow) {
      await this.#leases.release(taken);
      return -1;
    }
    for (const held of taken) this.#start(held, now);
    return taken.length;
  }

  /** Holds the jobs a fetch reply took. */
  #heldFrom(reply: unknown): Held[] {
    return ((reply as unknown[])[3] as unknown[][]).map((entry) => this.#hold(entry));
  }

  #freeSlots(): number {
    const concurrency = this.#concurrency;
    // A limiter may be shared: what it has left, plus what this worker holds of it.
    const limit =
      concurrency instanceof Bulkhead
        ? concurrency.maxInFlight
        : Math.min(concurrency.limit, concurrency.limit - concurrency.inFlight + this.#running);
    return Math.max(0, limit - this.#running);
  }

  /** A job taken by the fetch script: `{id, token, t, d, p, a, m, o, at}`. */
  #hold(entry: unknown[]): Held {
    const [id, token, type, data, rank, attempts, max, extra, addedAt] = entry;
    const job = decodeJob(String(id), [type, data, rank, attempts, max, extra, addedAt, 'active']) as Job;
    const held: Held = { job, token: String(token), controller: new AbortController(), startedAt: Date.now(), running: false, dropped: false };
    this.#leases.add(held);
    return held;
  }

  #start(held: Held, serverNow: number): void {
    const job = held.job;
    held.running = true;
    this.#running++;
    const hub = this.#q.hub;
    if (hub.has('active')) {
      hub.emit('active', Date.now(), { jobId: job.id, jobType: job.type, attempt: job.attempts, waitMs: Math.max(0, serverNow - job.addedAt) });
    }
    const handlers = this.#handlers;
    const handler = typeof handlers === 'function' ? handlers : Object.hasOwn(handlers, job.type) ? handlers[job.type] : undefined;
    const run =
      handler === undefined
        ? (): never => {
            throw new UnknownJobTypeError(job.type, this.#known);
          }
        : (ctx: ExecutionContext): unknown => handler(job as Job<never>, ctx);
    this.#pipeline
      .execute(run, { signal: held.controller.signal, timeoutMs: job.timeoutMs ?? this.timeoutMs })
      .then(
        () => this.#ended(held, false, undefined),
        (error: unknown) => this.#ended(held, true, error),
      );
  }

  #ended(held: Held, failed: boolean, error: unknown): void {
    held.running = false;
    this.#running--;
    this.#slotFreed?.();
    if (this.#running === 0) this.#drained?.();
    if (held.dropped) return;
    const job = held.job;
    if (!failed) {
      this.#completions.push(held);
      this.#scheduleFlush();
      return;
    }
    if (isRejectedError(error) && error.policyName === this.#concurrency.name) {
      // The concurrency limit refused to start it (an adaptive limit shrank): hand it back untried.
      void this.#leases.release([held]);
      return;
    }
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
    this.#track(this.#fail(held));
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  /** Writes every pending completion in one script run, unless the next fetch is about to carry them. */
  #flush(): void {
    this.#flushScheduled = false;
    if (this.#completions.length === 0 || (this.#carrying && !this.#closingNow)) return;
    const batch = this.#completions;
    this.#completions = [];
    this.#track(this.#complete(batch));
  }

  #track(write: Promise<void>): void {
    this.#writes.add(write);
    void write.finally(() => this.#writes.delete(write));
  }

  async #complete(batch: Held[]): Promise<void> {
    const k = this.#q.keys;
    const args: (string | number)[] = [this.#q.now(), this.#q.removeOnComplete ? 1 : 0];
    for (const held of batch) args.push(held.job.id, held.token);
    let reply: unknown[];
    try {
      reply = (await this.#q.calls.script('complete', [k.jobs, k.active, k.completed], args)) as unknown[];
    } catch (error) {
      this.#retryLater(batch, error);
      return;
    }
    this.#acknowledged(batch, reply[1] as number[]);
  }

  /** What Redis answered to the completion of `batch`: 1 completed, 0 lease lost. */
  #acknowledged(batch: readonly Held[], flags: readonly number[]): void {
    const hub = this.#q.hub;
    const now = Date.now();
    batch.forEach((held, index) => {
      this.#leases.forget(held);
      if (flags[index] !== 1) return leaseLost(held, 'completion');
      this.#q.counters.completed++;
      if (hub.has('completed')) {
        hub.emit('completed', now, { jobId: held.job.id, jobType: held.job.type, attempt: held.job.attempts, runMs: now - held.startedAt });
      }
    });
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
      this.#retryLater([held], failure);
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

  /** A write failed (Redis is away): try again shortly while the lease lasts; leases are extended meanwhile. */
  #retryLater(held: Held[], error: unknown): void {
    getLogger().warn({ err: error, queue: this.#q.name, jobs: held.length }, 'bulwark: a queue write failed; retrying');
    if (this.#closingNow) return;
    for (const one of held) {
      if (one.failure === undefined) this.#completions.push(one);
      else this.#track(sleep(250, this.#stop.signal).then(() => this.#fail(one), () => {}));
    }
    this.#retryTimer ??= setTimeout(() => {
      this.#retryTimer = undefined;
      this.#flush();
    }, 250);
    unrefTimer(this.#retryTimer);
  }

  #stalled(entries: unknown[][]): void {
    const hub = this.#q.hub;
    for (const [id, type, attempts, dead] of entries) {
      this.#q.counters.stalled++;
      const fields = { jobId: String(id), jobType: String(type), attempts: Number(attempts) };
      if (hub.has('stalled')) hub.emit('stalled', Date.now(), { ...fields, dead: dead === 1 });
      if (dead === 1) {
        this.#q.counters.dead++;
        if (hub.has('dead')) hub.emit('dead', Date.now(), { ...fields, reason: 'stalled' });
      }
    }
  }

  /** Waits for work: at most `blockMs`, or until the next delayed job is due. */
  async #block(nextDueMs: number): Promise<void> {
    const waitMs = nextDueMs >= 0 ? Math.min(this.blockMs, nextDueMs) : this.blockMs;
    if (waitMs > 0) await this.#wake.wait(waitMs);
  }

  async #pause(error: unknown): Promise<void> {
    if (this.#pausedAt === undefined) {
      this.#pausedAt = Date.now();
      getLogger().warn({ err: error, queue: this.#q.name }, 'bulwark: queue worker paused: Redis fails');
      const hub = this.#q.hub;
      if (hub.has('pause')) hub.emit('pause', Date.now(), { error });
    }
    const delayMs = error instanceof CircuitOpenError ? Math.min(Math.max(error.retryAfterMs, 10), 1_000) : 200;
    await sleep(delayMs, this.#stop.signal).catch(() => {});
  }

  #resumed(): void {
    const pausedAt = this.#pausedAt;
    if (pausedAt === undefined) return;
    this.#pausedAt = undefined;
    this.#track(this.#leases.reclaim());
    getLogger().info({ queue: this.#q.name }, 'bulwark: queue worker resumed');
    const hub = this.#q.hub;
    if (hub.has('resume')) hub.emit('resume', Date.now(), { pausedMs: Date.now() - pausedAt });
  }
}
