/**
 * LoadShedder: refuses work the process cannot take on, lowest priority first, so that what it
 * does accept still completes in time.
 * @module
 */
import { MAX_TIMER_DELAY_MS, systemClock, type Clock } from '../core/clock';
import { allChecks, defaultName, parseOptions, unusedExceptionFields } from '../core/config';
import type { ExecutionContext, InternalContext, Priority } from '../core/context';
import { EventHub, type EventEmitter } from '../core/events';
import { ExceptionHandler } from '../core/exceptions';
import { SlotRunner } from '../core/slot-runner';
import { rootContext, runInContext, type ExecuteOptions, type Policy } from '../core/policy';
import { registerInstance } from '../core/registry';
import { quietRejection } from '../core/rejection';
import { Admission, PRIORITIES, rankOf } from './admission';
import type { LoadShedderEvents, ShedReason } from './events';
import type { LoadLevel } from '../core/load-level';
import { nodeLoadSignals } from './load-signals';
import {
  LOAD_SHEDDER_DEFAULTS,
  loadShedderCrossCheck,
  loadShedderOptionsSchema,
  type LoadShedderOptions,
} from './options';
import { PriorityQueue } from './priority-queue';
import { ShedErrorFactory } from './shed-error';
import { NO_READINGS, SignalSampler } from './signal-sampler';
import type { LoadShedderStats } from './stats';

type Operation<T> = (ctx: InternalContext) => T | PromiseLike<T>;


/**
 * Admits a call while the load is below its priority's threshold, and sheds it at once with
 * {@link LoadShedError} otherwise: `low` calls first, `critical` calls last.
 *
 * - The load is the larger of the occupancy, `(inFlight + queued) / (maxInFlight + maxQueue)`,
 *   and the signal pressure: each configured Node load signal (event-loop delay p99, event-loop
 *   utilization, heap used ratio) over its maximum, sampled every `sampleIntervalMs`.
 * - An admitted call runs at once while fewer than `maxInFlight` run; otherwise it waits in the
 *   queue, served `critical` first and FIFO within a priority, until a slot frees, its caller
 *   aborts (it leaves at once with the caller's reason and never runs), its deadline passes or
 *   `queueTimeoutMs` passes (shed).
 * - {@link LoadShedder.loadLevel} names what a call arriving now would be shed for: `normal`
 *   (nothing), `elevated` (`low`), `high` (`low`, `normal`), `critical` (all but `critical`).
 * - `fn`'s own errors pass through unchanged; the shedder neither counts nor reports them.
 *
 * Cost: with a free slot, a call reads no clock and allocates nothing of its own beyond its
 * promise; a shed builds no stack trace (unless `captureRejectionStacks`). With `signals`, one
 * unref'd timer samples them; {@link LoadShedder.dispose} stops it.
 *
 * @example
 * ```ts
 * const shedder = new LoadShedder({
 *   maxInFlight: 200,
 *   maxQueue: 100,
 *   queueTimeoutMs: 250,
 *   signals: { maxEventLoopDelayMs: 200 },
 * });
 * const page = await shedder.execute(({ signal }) => render(request, signal), { priority: 'low', signal: request.signal });
 * ```
 */
export class LoadShedder implements Policy {
  /** Instance name, used in events, errors, logs and the registry. */
  readonly name: string;
  /** The kind of pattern: `'loadShedder'`. */
  readonly patternType = 'loadShedder' as const;
  /** Typed emitter of this instance's events: shed, loadLevelChange. */
  readonly events: EventEmitter<LoadShedderEvents>;
  readonly #maxInFlight: number;
  readonly #maxQueue: number;
  readonly #queueTimeoutMs: number | undefined;
  readonly #retryAfterMs: number;
  readonly #admission: Admission;
  /** Undefined when `maxQueue` is 0: a full shedder then sheds every priority. */
  readonly #queue: PriorityQueue | undefined;
  /** Undefined without `signals`: nothing is measured and no timer runs. */
  readonly #sampler: SignalSampler | undefined;
  readonly #errors: ShedErrorFactory;
  readonly #clock: Clock;
  readonly #handler: ExceptionHandler;
  readonly #hub: EventHub<LoadShedderEvents>;
  readonly #slots = new SlotRunner(() => this.#release());
  #inFlight = 0;
  /** How many ranks (from `low`) the latest signal sample sheds. */
  #signalRanks = 0;
  #level: LoadLevel = 'normal';
  #admitted = 0;
  #queuedTotal = 0;
  #abandoned = 0;
  #shed = 0;
  readonly #shedByRank = [0, 0, 0, 0];
  readonly #shedByReason: Record<ShedReason, number> = { capacity: 0, signals: 0, queueTimeout: 0, deadline: 0 };

  /**
   * @param options - `maxInFlight` is required; see {@link LoadShedderOptions}
   * @throws {@link ConfigError} naming every invalid option
   */
  constructor(options: LoadShedderOptions) {
    const resolved = parseOptions(
      loadShedderOptionsSchema,
      options,
      'LoadShedder options',
      allChecks(
        loadShedderCrossCheck,
        unusedExceptionFields(['handle', 'ignore'], 'a LoadShedder never classifies the errors of the function it runs'),
      ),
    );
    const defaults = LOAD_SHEDDER_DEFAULTS;
    this.name = resolved.name ?? defaultName('loadShedder');
    this.#clock = resolved.clock ?? systemClock;
    this.#maxInFlight = resolved.maxInFlight;
    this.#maxQueue = resolved.maxQueue ?? defaults.maxQueue;
    this.#queueTimeoutMs = resolved.queueTimeoutMs;
    this.#retryAfterMs = resolved.retryAfterMs ?? defaults.retryAfterMs;
    const given = resolved.priorityThresholds;
    const thresholds = PRIORITIES.map((priority) => given?.[priority] ?? defaults.priorityThresholds[priority]);
    this.#admission = new Admission(thresholds, this.#maxInFlight + this.#maxQueue);
    this.#queue = this.#maxQueue > 0 ? new PriorityQueue(this.#clock) : undefined;
    this.#errors = new ShedErrorFactory(this.name, resolved.captureRejectionStacks ?? false);
    this.#handler = new ExceptionHandler(resolved.exceptions, 'loadShedder', this.name);
    this.#hub = new EventHub('loadShedder', this.name);
    this.events = this.#hub.emitter;
    const signals = resolved.signals;
    this.#sampler =
      signals === undefined
        ? undefined
        : new SignalSampler(
            {
              eventLoopDelayMs: signals.maxEventLoopDelayMs,
              eventLoopUtilization: signals.maxEventLoopUtilization,
              heapUsedRatio: signals.maxHeapUsedRatio,
            },
            signals.source ?? nodeLoadSignals,
            signals.sampleIntervalMs ?? defaults.sampleIntervalMs,
            this.#clock,
            this.name,
            (pressure) => this.#onSample(pressure),
          );
    registerInstance(this, resolved.registry);
  }

  /** Calls running now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.#queue === undefined ? 0 : this.#queue.length;
  }

  /** The current load level: which priorities a call arriving now would be shed for. */
  get loadLevel(): LoadLevel {
    return this.#level;
  }

  /**
   * Runs `fn` if the load admits a call of its priority (`options.priority`, default `normal`),
   * at once or after waiting for a slot.
   * @throws {@link LoadShedError} when the call is shed (or what `exceptions.transform` makes of it)
   * @throws the caller's `signal.reason` when it aborts before `fn` starts
   * @throws `fn`'s own error, unchanged
   */
  execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    const ctx = rootContext(options, this.#clock);
    if (ctx.scope?.aborted) return Promise.reject(ctx.scope.reason);
    return this[runInContext](fn, ctx);
  }

  /** @internal */
  [runInContext]<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    const rank = rankOf(ctx.priority);
    const shedRanks = this.#admission.shedRanks(this.#inFlight + this.queued, this.#signalRanks);
    if (rank < shedRanks) {
      const reason = rank < this.#signalRanks ? 'signals' : 'capacity';
      return quietRejection(this.#shedError(rank, reason, Admission.levelOf(shedRanks)));
    }
    if (this.#inFlight < this.#maxInFlight) {
      this.#inFlight++;
      this.#admitted++;
      this.#updateLevel();
      return this.#run(fn, ctx);
    }
    return this.#wait(fn, ctx, rank);
  }

  /** State and counters; see {@link LoadShedderStats}. */
  stats(): LoadShedderStats {
    const inFlight = this.#inFlight;
    const queued = this.queued;
    const byRank = this.#shedByRank;
    return {
      loadLevel: this.#level,
      inFlight,
      queued,
      maxInFlight: this.#maxInFlight,
      maxQueue: this.#maxQueue,
      occupancy: (inFlight + queued) / this.#admission.capacity,
      signalPressure: this.#sampler?.pressure ?? 0,
      signals: this.#sampler?.readings ?? { ...NO_READINGS },
      admitted: this.#admitted,
      queuedTotal: this.#queuedTotal,
      abandoned: this.#abandoned,
      shed: this.#shed,
      shedByPriority: {
        critical: byRank[3] as number,
        high: byRank[2] as number,
        normal: byRank[1] as number,
        low: byRank[0] as number,
      },
      shedByReason: { ...this.#shedByReason },
    };
  }

  /**
   * Stops sampling the load signals (their timer and Node's monitors) and forgets the last
   * sample, so that admission goes by occupancy alone from now on. Calls in flight and queued are
   * unaffected. Idempotent; a no-op without `signals`. Call it when done with an instance that
   * watches signals: until then its sampling timer (unref'd, so never keeping the process alive)
   * keeps the instance, and its registry entry, alive.
   */
  dispose(): void {
    if (this.#sampler === undefined) return;
    this.#sampler.stop();
    this.#signalRanks = 0;
    this.#updateLevel();
  }

  /** Same as {@link LoadShedder.dispose}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  /** Runs an admitted call that holds a slot, and frees the slot when it settles. */
  #run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    return this.#slots.run(fn, ctx);
  }

  /**
   * The slow path: every slot is taken and the load admits the call, so it waits. A slot freed
   * for it is handed over by `#release` (in-flight stays the same), so that no newcomer can take
   * it between the grant and this call resuming.
   */
  async #wait<T>(fn: Operation<T>, ctx: InternalContext, rank: number): Promise<T> {
    let budgetMs = this.#queueTimeoutMs;
    let reason: ShedReason = 'queueTimeout';
    if (ctx.deadline !== undefined) {
      const leftMs = ctx.deadline - this.#clock.now();
      if (budgetMs === undefined || leftMs <= budgetMs) {
        budgetMs = leftMs;
        reason = 'deadline';
      }
    }
    if (budgetMs !== undefined && budgetMs <= 0) throw this.#shedError(rank, reason, this.#level);
    // A bound beyond the longest timer delay (e.g. `queueTimeoutMs: Infinity`) leaves the wait unbounded.
    if (budgetMs !== undefined && budgetMs > MAX_TIMER_DELAY_MS) budgetMs = undefined;
    this.#queuedTotal++;
    let timedOut = false;
    const onTimeout = (): unknown => {
      timedOut = true;
      this.#updateLevel();
      return this.#shedError(rank, reason, this.#level);
    };
    const granted = (this.#queue as PriorityQueue).wait(rank, ctx.scope, budgetMs, onTimeout);
    this.#updateLevel();
    try {
      await granted;
    } catch (error) {
      if (!timedOut) this.#abandoned++;
      this.#updateLevel();
      throw error;
    }
    if (ctx.scope?.aborted) {
      this.#abandoned++;
      this.#release();
      throw ctx.scope.reason;
    }
    this.#admitted++;
    return this.#run(fn, ctx);
  }

  /** Frees a slot: hands it to the next waiter, if any, or gives it back. */
  #release(): void {
    if (this.#queue === undefined || !this.#queue.grantNext()) this.#inFlight--;
    this.#updateLevel();
  }

  #onSample(pressure: number): void {
    this.#signalRanks = this.#admission.signalRanks(pressure);
    this.#updateLevel();
  }

  /**
   * Recomputes the load level after any change of in-flight calls, queue or signals. A queued
   * call that its caller aborts leaves the queue at once; the level follows in the rejection's
   * continuation, a microtask later.
   */
  #updateLevel(): void {
    const to = Admission.levelOf(this.#admission.shedRanks(this.#inFlight + this.queued, this.#signalRanks));
    const from = this.#level;
    if (to === from) return;
    this.#level = to;
    if (this.#hub.has('loadLevelChange')) this.#hub.emit('loadLevelChange', this.#clock.now(), { from, to });
  }

  /** Counts and announces a shed call; returns what its caller receives. */
  #shedError(rank: number, reason: ShedReason, loadLevel: LoadLevel): unknown {
    const priority = PRIORITIES[rank] as Priority;
    const retryAfterMs = this.#retryAfterMs;
    this.#shed++;
    (this.#shedByRank[rank] as number)++;
    this.#shedByReason[reason]++;
    if (this.#hub.has('shed')) {
      this.#hub.emit('shed', this.#clock.now(), {
        priority,
        reason,
        loadLevel,
        retryAfterMs,
        inFlight: this.#inFlight,
        queued: this.queued,
      });
    }
    const error = this.#errors.create(loadLevel, retryAfterMs);
    if (!this.#handler.reports && !this.#handler.transforms) return error;
    const metadata = { priority, reason, loadLevel, inFlight: this.#inFlight, queued: this.queued };
    this.#handler.report('shed', error, metadata);
    return this.#handler.toCallerError('shed', error, metadata);
  }
}
