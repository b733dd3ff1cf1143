/**
 * LoadShedder: refuses work the process cannot take on, lowest priority first, so that what it
 * does accept still completes in time.
 * @module
 */
import { MAX_TIMER_DELAY_MS } from '../core/clock';
import { allChecks, parseOptions, judgesNoOutcome } from '../core/config';
import type { InternalContext, Priority } from '../core/context';
import { runOperation, type Operation } from '../core/operation';
import { Pattern } from '../core/pattern';
import type { PatternHealth } from '../core/registry';
import { quietRejection, Rejections } from '../core/rejection';
import { Admission, PRIORITIES, rankOf } from './admission';
import type { LoadShedderEvents } from './events';
import type { LoadLevel } from './load-level';
import { LoadShedError, type ShedReason } from './load-shed-error';
import { nodeLoadSignals } from './load-signals';
import {
  LOAD_SHEDDER_DEFAULTS,
  loadShedderCrossCheck,
  loadShedderOptionsSchema,
  type LoadShedderOptions,
} from './options';
import { PriorityQueue } from './priority-queue';
import { NO_READINGS, SignalSampler } from './signal-sampler';
import type { LoadShedderStats } from './stats';

/** The reasons, in the order of their variant numbers (see {@link variantOf}). */
const REASONS: readonly ShedReason[] = ['capacity', 'signals', 'queueTimeout', 'deadline'];
const REASON_INDEX: Readonly<Record<ShedReason, number>> = { capacity: 0, signals: 1, queueTimeout: 2, deadline: 3 };
/** The levels, in the order of their variant numbers. */
const LEVELS: readonly LoadLevel[] = ['normal', 'elevated', 'high', 'critical'];
const LEVEL_INDEX: Readonly<Record<LoadLevel, number>> = { normal: 0, elevated: 1, high: 2, critical: 3 };

/**
 * The error variant of a shed call: one per reason and level (16 at most), so that every error of
 * a variant shares one prototype with its message, reason and level.
 */
function variantOf(reason: ShedReason, loadLevel: LoadLevel): number {
  return REASON_INDEX[reason] * 4 + LEVEL_INDEX[loadLevel];
}

/** What {@link LoadShedder.health} says at each level: overloaded from `high` up. */
const HEALTH_AT: Readonly<Record<LoadLevel, PatternHealth>> = {
  normal: Object.freeze({ state: 'normal', healthy: true }),
  elevated: Object.freeze({ state: 'elevated', healthy: true }),
  high: Object.freeze({ state: 'high', healthy: false }),
  critical: Object.freeze({ state: 'critical', healthy: false }),
};

/**
 * Admits a call while the load is below its priority's threshold, and sheds it at once with
 * {@link LoadShedError} otherwise: `low` calls first, `critical` calls last.
 *
 * - The load is the larger of the occupancy, `(inFlight + queued) / (maxInFlight + maxQueue)`,
 *   and the signal pressure: each configured Node load signal (event-loop delay p99, event-loop
 *   utilization, heap used ratio) over its maximum, sampled every `sampleIntervalMs`.
 * - With the default `priorityThresholds`, calls of the default priority (`normal`), `high` and
 *   `critical` are admitted until every slot (and queue place) is taken, and `low` ones until half
 *   are: `maxInFlight` is reached by ordinary traffic. Lower thresholds keep room for the higher
 *   priorities.
 * - An admitted call runs at once while fewer than `maxInFlight` run; otherwise it waits in the
 *   queue, served `critical` first and FIFO within a priority, until a slot frees, its caller
 *   aborts (it leaves at once with the caller's reason and never runs), its deadline passes or
 *   `maxWaitMs` passes (shed).
 * - {@link LoadShedder.loadLevel} names what a call arriving now would be shed for: `normal`
 *   (nothing), `elevated` (`low`), `high` (`low`, `normal`), `critical` (all but `critical`).
 *   {@link LoadShedder.health} reports `high` and `critical` as unhealthy.
 * - Every shed call is announced by the `rejected` event, whose `reason` (`capacity`, `signals`,
 *   `queueTimeout`, `deadline`) is the error's.
 * - `fn`'s own errors pass through unchanged; the shedder neither counts nor reports them.
 *
 * Cost: with a free slot, a call reads no clock and allocates nothing of its own beyond its
 * promise (its settlement handlers are made once per instance); a shed builds no stack trace
 * (unless `captureRejectionStacks`). With `signals`, one unref'd timer samples them;
 * {@link LoadShedder.dispose} stops it.
 *
 * @example
 * ```ts
 * const shedder = new LoadShedder({
 *   maxInFlight: 200,
 *   maxQueue: 100,
 *   maxWaitMs: 250,
 *   signals: { maxEventLoopDelayMs: 200 },
 * });
 * const page = await shedder.execute(({ signal }) => render(request, signal), { priority: 'low', signal: request.signal });
 * ```
 */
export class LoadShedder extends Pattern<LoadShedderEvents, LoadShedderStats> {
  /** The kind of pattern: `'loadShedder'`. */
  declare readonly patternType: 'loadShedder';
  readonly #maxInFlight: number;
  readonly #maxQueue: number;
  readonly #maxWaitMs: number | undefined;
  readonly #retryAfterMs: number;
  readonly #admission: Admission;
  /** Undefined when `maxQueue` is 0: a full shedder then sheds every priority. */
  readonly #queue: PriorityQueue | undefined;
  /** Undefined without `signals`: nothing is measured and no timer runs. */
  readonly #sampler: SignalSampler | undefined;
  /** Variants numbered by {@link variantOf}. */
  readonly #errors: Rejections<LoadShedError, number>;
  /** Settlement handlers that free the slot, shared by every call. */
  readonly #onFulfilled: <T>(value: T) => T;
  readonly #onRejected: (error: unknown) => never;
  #inFlight = 0;
  /** How many ranks (from `low`) the latest signal sample sheds. */
  #signalRanks = 0;
  #level: LoadLevel = 'normal';
  #admitted = 0;
  #queuedTotal = 0;
  #abandoned = 0;
  #rejected = 0;
  readonly #rejectedByRank = [0, 0, 0, 0];
  readonly #rejectedByReason: Record<ShedReason, number> = { capacity: 0, signals: 0, queueTimeout: 0, deadline: 0 };

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
        judgesNoOutcome('a LoadShedder'),
      ),
    );
    super('loadShedder', resolved);
    const defaults = LOAD_SHEDDER_DEFAULTS;
    this.#maxInFlight = resolved.maxInFlight;
    this.#maxQueue = resolved.maxQueue ?? Math.ceil(resolved.maxInFlight / defaults.maxQueueDivisor);
    this.#maxWaitMs = resolved.maxWaitMs;
    const retryAfterMs = resolved.retryAfterMs ?? defaults.retryAfterMs;
    this.#retryAfterMs = retryAfterMs;
    const given = resolved.priorityThresholds;
    const thresholds = PRIORITIES.map((priority) => given?.[priority] ?? defaults.priorityThresholds[priority]);
    this.#admission = new Admission(thresholds, this.#maxInFlight + this.#maxQueue);
    this.#queue = this.#maxQueue > 0 ? new PriorityQueue(this.clock) : undefined;
    const name = this.name;
    this.#errors = new Rejections(
      (variant) => new LoadShedError(name, REASONS[variant >> 2] as ShedReason, LEVELS[variant & 3] as LoadLevel, retryAfterMs),
      resolved.captureRejectionStacks ?? false,
    );
    // Made once, here, so that a call allocates none; written in this class (not by a shared
    // helper) so that the call to #release inside them has this one target.
    this.#onFulfilled = (value) => {
      this.#release();
      return value;
    };
    this.#onRejected = (error) => {
      this.#release();
      throw error;
    };
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
            this.clock,
            this.name,
            (pressure) => this.#onSample(pressure),
          );
    this.register(resolved.registry);
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

  /** State and counters; see {@link LoadShedderStats}. */
  stats(): LoadShedderStats {
    const inFlight = this.#inFlight;
    const queued = this.queued;
    const byRank = this.#rejectedByRank;
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
      rejected: this.#rejected,
      rejectedByPriority: {
        critical: byRank[3] as number,
        high: byRank[2] as number,
        normal: byRank[1] as number,
        low: byRank[0] as number,
      },
      rejectedByReason: { ...this.#rejectedByReason },
    };
  }

  /**
   * The load level as the registry's health report shows it: `state` is the level, and the
   * shedder is healthy at `normal` and `elevated`, unhealthy at `high` and `critical` (the
   * process is overloaded).
   */
  override health(): PatternHealth {
    return HEALTH_AT[this.#level];
  }

  /**
   * Stops sampling the load signals (their timer and Node's monitors) and forgets the last
   * sample, so that admission goes by occupancy alone from now on. Calls in flight and queued are
   * unaffected. Idempotent; a no-op without `signals`. Call it (or `await using`) when done with
   * an instance that watches signals: until then its sampling timer (unref'd, so never keeping
   * the process alive) keeps the instance, and its registry entry, alive.
   */
  override dispose(): void {
    if (this.#sampler === undefined) return;
    this.#sampler.stop();
    this.#signalRanks = 0;
    this.#updateLevel();
  }

  /**
   * Runs `fn` if the load admits a call of its priority (`options.priority`, default `normal`),
   * at once or after waiting for a slot (see {@link Pattern.execute}).
   * @throws {@link LoadShedError} when the call is shed (or what `exceptions.transform` makes of it)
   * @throws the caller's `signal.reason` when it aborts before `fn` starts
   * @throws `fn`'s own error, unchanged
   */
  protected run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    const rank = rankOf(ctx.priority);
    const shedRanks = this.#admission.shedRanks(this.#inFlight + this.queued, this.#signalRanks);
    if (rank < shedRanks) {
      const reason = rank < this.#signalRanks ? 'signals' : 'capacity';
      return quietRejection(this.#reject(rank, reason, Admission.levelOf(shedRanks)));
    }
    if (this.#inFlight < this.#maxInFlight) {
      this.#inFlight++;
      this.#admitted++;
      this.#updateLevel();
      return runOperation(fn, ctx, this.#onFulfilled, this.#onRejected);
    }
    return this.#wait(fn, ctx, rank);
  }

  /**
   * The slow path: every slot is taken and the load admits the call, so it waits. A slot freed
   * for it is handed over by `#release` (in-flight stays the same), so that no newcomer can take
   * it between the grant and this call resuming.
   */
  async #wait<T>(fn: Operation<T>, ctx: InternalContext, rank: number): Promise<T> {
    let budgetMs = this.#maxWaitMs;
    let reason: ShedReason = 'queueTimeout';
    if (ctx.deadline !== undefined) {
      const leftMs = ctx.deadline - this.clock.now();
      if (budgetMs === undefined || leftMs <= budgetMs) {
        budgetMs = leftMs;
        reason = 'deadline';
      }
    }
    if (budgetMs !== undefined && budgetMs <= 0) throw this.#reject(rank, reason, this.#level);
    // A bound beyond the longest timer delay (a far deadline or maxWaitMs) leaves the wait unbounded.
    if (budgetMs !== undefined && budgetMs > MAX_TIMER_DELAY_MS) budgetMs = undefined;
    this.#queuedTotal++;
    let timedOut = false;
    const onTimeout = (): unknown => {
      timedOut = true;
      this.#updateLevel();
      return this.#reject(rank, reason, this.#level);
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
    return runOperation(fn, ctx, this.#onFulfilled, this.#onRejected);
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
    if (this.hub.has('loadLevelChange')) this.hub.emit('loadLevelChange', this.clock.now(), { from, to });
  }

  /** Counts and announces a shed call; returns what its caller receives. */
  #reject(rank: number, reason: ShedReason, loadLevel: LoadLevel): unknown {
    this.#rejected++;
    (this.#rejectedByRank[rank] as number)++;
    this.#rejectedByReason[reason]++;
    const error = this.#errors.create(variantOf(reason, loadLevel));
    const details = this.rejectionObserved
      ? {
          priority: PRIORITIES[rank] as Priority,
          loadLevel,
          retryAfterMs: this.#retryAfterMs,
          inFlight: this.#inFlight,
          queued: this.queued,
        }
      : undefined;
    return this.refusal(error, 'shed', details);
  }
}
