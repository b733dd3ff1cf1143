/**
 * The default policy of a Redis part (a CircuitBreaker, an aggressive Timeout and, for a guarded
 * client, a Bulkhead) run as one layer: what `compose(breaker, timeout, bulkhead).execute(send)`
 * does for a call that the circuit admits and that finds a free slot, with one promise of
 * its own per call instead of one per layer, and no context, closure or option parsing per layer.
 *
 * Each layer keeps its own rules and counters: the breaker admits the call and counts its outcome
 * (its {@link InlineBreaker}), the bulkhead's slot is taken before the command is sent and freed
 * when the command settles, even after its time ran out (its {@link InlineBulkhead}), and the
 * call sits in the Timeout's deadline list while it runs, so that the Timeout's one timer rejects
 * it at its limit with what an aggressive Timeout's caller receives (its {@link InlineTimeout}).
 * Any call that needs more (an open or half-open circuit, a full bulkhead, a
 * cooperative Timeout) is left to the composed policy: {@link InlineLayers.run} returns undefined.
 *
 * Measured with 100 GETs in flight on a connection that answers at once: about 40 % of the
 * composed policy's own cost per call (see docs/guard-redis.md, Cost).
 * @module
 * @internal
 */
import { inlineSlots, type InlineBulkhead } from '../bulkhead/inline';
import type { Bulkhead } from '../bulkhead/bulkhead';
import type { CallRecord } from '../circuit-breaker/call-record';
import type { CircuitBreaker } from '../circuit-breaker/circuit-breaker';
import { inlineCalls, type InlineBreaker } from '../circuit-breaker/inline';
import type { Clock } from '../core/clock';
import { NOT_LISTED, type DeadlineEntry, type DeadlineList } from '../timeout/deadline-list';
import { inlineLimit, type InlineTimeout } from '../timeout/inline';
import type { Timeout } from '../timeout/timeout';
import { ignore } from '../core/ignore';
import { promiseSettledBy, type Settler } from '../core/settled-by';

/** A method of the connection or of a pipeline. */
type Method = (...args: unknown[]) => unknown;

/** One call run by {@link InlineLayers}: its breaker record, its entry in the Timeout's deadline list and its caller's promise. */
class InlineCall implements DeadlineEntry, Settler<unknown> {
  readonly expiresAt: number;
  previousEntry: DeadlineEntry | undefined;
  nextEntry: DeadlineEntry | undefined;
  listPosition = NOT_LISTED;
  readonly record: CallRecord;
  /** How many calls the breaker counts the outcome as. */
  readonly weight: number;
  /** Its caller's promise's resolving functions, set by {@link promiseSettledBy}. */
  resolve: (value: unknown) => void = ignore;
  reject: (error: unknown) => void = ignore;
  /** Set when the Timeout rejected the caller: the command's own outcome then only frees its slot. */
  timedOut = false;
  readonly #layers: InlineLayers;
  readonly onFulfilled = (value: unknown): void => this.#layers.settled(this, true, value);
  readonly onRejected = (error: unknown): void => this.#layers.settled(this, false, error);

  constructor(layers: InlineLayers, record: CallRecord, weight: number, expiresAt: number) {
    this.#layers = layers;
    this.record = record;
    this.weight = weight;
    this.expiresAt = expiresAt;
  }

  /** Called by the deadline list, which has already taken the call out. */
  expire(): void {
    this.#layers.expired(this);
  }
}

/** A CircuitBreaker, an aggressive Timeout and an optional Bulkhead, run as one; see the module comment. */
export class InlineLayers {
  readonly #breaker: InlineBreaker;
  readonly #timeout: InlineTimeout;
  readonly #clock: Clock;
  readonly #deadlines: DeadlineList;
  readonly #timeoutMs: number;
  readonly #bulkhead: InlineBulkhead | undefined;

  /**
   * The layers of `compose(breaker, timeout)` or `compose(breaker, timeout, bulkhead)`, run as one;
   * undefined when they cannot be (a cooperative Timeout).
   */
  static of(breaker: CircuitBreaker, timeout: Timeout, bulkhead: Bulkhead | undefined): InlineLayers | undefined {
    const limit = timeout[inlineLimit];
    if (limit === undefined) return undefined;
    return new InlineLayers(breaker[inlineCalls], limit, timeout.timeoutMs, bulkhead?.[inlineSlots]);
  }

  private constructor(breaker: InlineBreaker, timeout: InlineTimeout, timeoutMs: number, bulkhead: InlineBulkhead | undefined) {
    this.#breaker = breaker;
    this.#timeout = timeout;
    this.#clock = timeout.clock;
    this.#deadlines = timeout.deadlines;
    this.#timeoutMs = timeoutMs;
    this.#bulkhead = bulkhead;
  }

  /**
   * Sends `receiver[method](...args)` through the layers and returns its caller's promise, or
   * undefined, having sent nothing, when the call needs the composed policy (see the module
   * comment). The method is called at once, on a connection the caller found ready.
   * @param weight - how many calls the breaker counts its outcome as: the reads a batched MGET
   *   stands for, so that the circuit opens after as many failed reads as it would unbatched
   */
  run(receiver: object, method: string, args: unknown[], weight = 1): Promise<unknown> | undefined {
    const record = this.#admit();
    if (record === undefined) return undefined;
    const now = this.#clock.now();
    let sent: unknown;
    try {
      sent = ((receiver as Record<string, Method>)[method] as Method).apply(receiver, args);
    } catch (error) {
      sent = Promise.reject(error);
    }
    return this.#track(sent, record, weight, now);
  }

  /** The breaker's record of a call it admits and that found a free slot; undefined otherwise. */
  #admit(): CallRecord | undefined {
    const record = this.#breaker.admit();
    if (record === undefined) return undefined;
    const bulkhead = this.#bulkhead;
    return bulkhead === undefined || bulkhead.acquire() ? record : undefined;
  }

  /** Puts the call just sent (its reply `sent`, started at `now`) in the deadline list and returns its caller's promise. */
  #track(sent: unknown, record: CallRecord, weight: number, now: number): Promise<unknown> {
    const call = new InlineCall(this, record, weight, now + this.#timeoutMs);
    const promise = promiseSettledBy(call);
    this.#deadlines.add(call, now);
    Promise.resolve(sent).then(call.onFulfilled, call.onRejected);
    return promise;
  }

  /** The command answered (`ok`, with its reply) or failed (with its error). */
  settled(call: InlineCall, ok: boolean, outcome: unknown): void {
    this.#bulkhead?.release();
    if (call.timedOut) return;
    this.#deadlines.remove(call);
    this.#count(call, ok, outcome);
    if (ok) call.resolve(outcome);
    else call.reject(outcome);
  }

  /** The call's time ran out before the command settled: the caller receives the Timeout's error. */
  expired(call: InlineCall): void {
    call.timedOut = true;
    const error = this.#timeout.expired();
    this.#count(call, false, error);
    call.reject(error);
  }

  /** Tells the breaker the call's outcome, as many calls as it stands for. */
  #count(call: InlineCall, ok: boolean, outcome: unknown): void {
    this.#breaker.settle(call.record, ok, outcome, call.weight);
  }
}

