/**
 * How a worker runs the jobs it holds: routing by type, the concurrency limit, the extra policy
 * and each job's Timeout, and the free slots its loop fetches for.
 * @module
 * @internal
 */
import type { AdaptiveConcurrencyLimiter } from '../../adaptive-concurrency/index';
import { Bulkhead } from '../../bulkhead/index';
import { MAX_TIMER_DELAY_MS } from '../../core/clock';
import { isRejectedError } from '../../core/errors';
import { CallContext } from '../../core/context';
import { compose, runPolicy, type ExecutionContext, type Pipeline, type Policy } from '../../core/policy';
import { Timeout } from '../../timeout/index';
import { UnknownJobTypeError } from './errors';
import type { QueueInternals } from './internals';
import type { Job } from './job';
import type { Held, Leases } from './leases';
import type { OutcomeWriter } from './outcomes';

/** Runs one job; a rejection (or a throw) fails the try. */
export type JobHandler<Payload = unknown> = (job: Job<Payload>, ctx: ExecutionContext) => unknown;

/**
 * Handlers by job type. Each may declare its own payload type (`Job<Email>`): the queue does not
 * check payloads against it, so validate what producers you do not control send.
 */
export type JobHandlers = Readonly<Record<string, JobHandler<never>>>;

/** What a {@link JobRunner} runs jobs with. */
export interface JobRunnerSettings {
  readonly handlers: JobHandler<never> | JobHandlers;
  /** An adaptive limit to run under, or undefined for a Bulkhead of `concurrency`. */
  readonly limiter: AdaptiveConcurrencyLimiter | undefined;
  /** Jobs at once, without a `limiter`. */
  readonly concurrency: number;
  /** The name of that Bulkhead. */
  readonly bulkheadName: string;
  readonly policy: Policy | undefined;
  /** A job's time limit when it has none, in ms. */
  readonly timeoutMs: number;
}

/**
 * Runs held jobs through `compose(concurrency, policy?, Timeout)` and hands their outcomes to the
 * {@link OutcomeWriter}; counts the jobs running, for the free slots and for `close()`'s drain.
 */
export class JobRunner {
  readonly #q: QueueInternals;
  readonly #handlers: JobHandler<never> | JobHandlers;
  readonly #known: readonly string[];
  readonly #concurrency: Bulkhead | AdaptiveConcurrencyLimiter;
  readonly #ownsBulkhead: boolean;
  /** Concurrency limit, the extra policy, and a Timeout that enforces each job's deadline (`timeoutMs` per call). */
  readonly #pipeline: Pipeline;
  readonly #timeoutMs: number;
  readonly #leases: Leases;
  readonly #outcomes: OutcomeWriter;
  #running = 0;
  #slotFreed: (() => void) | undefined;
  #drained: (() => void) | undefined;

  /**
   * @param internals - the queue
   * @param settings - handlers, limit, policy and default time limit
   * @param leases - the worker's leases (a job the limit refuses is handed back)
   * @param outcomes - where ended jobs go
   */
  constructor(internals: QueueInternals, settings: JobRunnerSettings, leases: Leases, outcomes: OutcomeWriter) {
    this.#q = internals;
    this.#handlers = settings.handlers;
    this.#known = typeof settings.handlers === 'function' ? [] : Object.keys(settings.handlers);
    this.#ownsBulkhead = settings.limiter === undefined;
    this.#concurrency =
      settings.limiter ?? new Bulkhead({ name: settings.bulkheadName, maxInFlight: settings.concurrency, registry: false });
    this.#timeoutMs = settings.timeoutMs;
    // The Timeout's own limit is never the one that fires: each call's timeoutMs is its deadline,
    // so one pipeline serves every job's time limit (and the handler sees it as ctx.deadline).
    const timeout = new Timeout({ timeoutMs: MAX_TIMER_DELAY_MS, name: `${internals.name}:job-timeout`, registry: false });
    this.#pipeline = settings.policy === undefined ? compose(this.#concurrency, timeout) : compose(this.#concurrency, settings.policy, timeout);
    this.#leases = leases;
    this.#outcomes = outcomes;
  }

  /** Jobs whose handler is running now. */
  get running(): number {
    return this.#running;
  }

  /** How many more jobs it may start now. */
  freeSlots(): number {
    const concurrency = this.#concurrency;
    // A limiter may be shared: what it has left, plus what this worker holds of it.
    const limit =
      concurrency instanceof Bulkhead
        ? concurrency.maxInFlight
        : Math.min(concurrency.limit, concurrency.limit - concurrency.inFlight + this.#running);
    return Math.max(0, limit - this.#running);
  }

  /** Resolves when a running job ends, or on {@link JobRunner.interrupt}. */
  slotFreed(): Promise<void> {
    return new Promise<void>((resolve) => (this.#slotFreed = resolve)).finally(() => (this.#slotFreed = undefined));
  }

  /** Ends a wait of {@link JobRunner.slotFreed} (the worker closes). */
  interrupt(): void {
    this.#slotFreed?.();
  }

  /** Resolves once no job runs, or after `drainMs`. */
  async drain(drainMs: number): Promise<void> {
    if (this.#running === 0 || drainMs <= 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#drained = resolve;
      timer = setTimeout(resolve, drainMs);
    });
    clearTimeout(timer);
  }

  /** Starts `held`'s try; `serverNow` (the fetch's time) gives its wait since it was added. */
  start(held: Held, serverNow: number): void {
    const job = held.job;
    held.running = true;
    this.#running++;
    if (this.#q.listeners.active.anyone) {
      this.#q.hub.emit('active', Date.now(), { jobId: job.id, jobType: job.type, attempt: job.attempts, waitMs: Math.max(0, serverNow - job.addedAt) });
    }
    const handlers = this.#handlers;
    const handler = typeof handlers === 'function' ? handlers : Object.hasOwn(handlers, job.type) ? handlers[job.type] : undefined;
    const run =
      handler === undefined
        ? (): never => {
            throw new UnknownJobTypeError(job.type, this.#known);
          }
        : (ctx: ExecutionContext): unknown => handler(job as Job<never>, ctx);
    // Entered with the job's own scope (runPolicy): execute() would take an AbortSignal,
    // an AbortController per job that nothing reads unless the handler does.
    const ctx = new CallContext(1, undefined, 'normal', Date.now() + (job.timeoutMs ?? this.#timeoutMs), held.scope);
    runPolicy(this.#pipeline, run, ctx)
      .then(
        () => this.#ended(held, false, undefined),
        (error: unknown) => this.#ended(held, true, error),
      );
  }

  /** Disposes of its Bulkhead (a `limiter` it was given is left as it is). */
  dispose(): void {
    if (this.#ownsBulkhead) (this.#concurrency as Bulkhead).dispose();
  }

  #ended(held: Held, failed: boolean, error: unknown): void {
    held.running = false;
    this.#running--;
    this.#slotFreed?.();
    if (this.#running === 0) this.#drained?.();
    if (held.dropped) return;
    if (!failed) return this.#outcomes.completed(held);
    if (isRejectedError(error) && error.policyName === this.#concurrency.name) {
      // The concurrency limit refused to start it (an adaptive limit shrank): hand it back untried.
      void this.#leases.release([held]);
      return;
    }
    this.#outcomes.failed(held, error);
  }
}
