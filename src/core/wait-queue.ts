/**
 * A FIFO queue of callers waiting for a permit (a bulkhead slot, a backpressure resume, a
 * concurrency-limit slot), each of whom may give up: its caller aborts, its own timeout passes or
 * its deadline budget runs out.
 *
 * An intrusive doubly linked list: enqueue, grant and removal are O(1), so a waiter that gives up
 * leaves the queue at once (p-limit's queue cannot drop one entry; an aborted call would stay
 * queued until its turn). Lifetimes: a waiter's timer and its listener on the caller's scope exist
 * only while it waits; granting, aborting and timing out each remove both.
 *
 * Waiting is a promise the caller awaits, so the caller's own continuation runs the work: its
 * AsyncLocalStorage context is kept.
 * @module
 * @internal
 */
import type { Clock, TimerHandle } from './clock';
import type { AbortListener, CancelScope } from './context';

/** One caller in a {@link WaitQueue}. */
class Waiter implements AbortListener {
  previous: Waiter | undefined;
  next: Waiter | undefined;
  queued = true;
  timer: TimerHandle | undefined;
  resolve!: () => void;
  reject!: (reason: unknown) => void;

  constructor(
    readonly queue: WaitQueue,
    readonly scope: CancelScope | undefined,
    readonly onTimeout: (() => unknown) | undefined,
  ) {}

  /** The caller's scope aborted. */
  handleEvent(): void {
    if (this.queue.remove(this)) this.reject(this.scope?.reason);
  }

  /** The waiter's time ran out. */
  expire(): void {
    this.timer = undefined;
    if (this.queue.remove(this)) this.reject(this.onTimeout?.());
  }
}

/** See the module comment. */
export class WaitQueue {
  readonly #clock: Clock;
  #head: Waiter | undefined;
  #tail: Waiter | undefined;
  #length = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Callers waiting. */
  get length(): number {
    return this.#length;
  }

  /**
   * Waits for {@link WaitQueue.grantNext}. Rejects with the scope's reason as soon as it aborts
   * (at once if it already has), or with what `onTimeout()` returns after `timeoutMs`.
   * @param scope - what cancels the wait: the caller's signal or an enclosing policy
   * @param timeoutMs - longest wait in ms, or undefined for no limit
   * @param onTimeout - makes the rejection reason when `timeoutMs` passes
   */
  wait(scope: CancelScope | undefined, timeoutMs: number | undefined, onTimeout?: () => unknown): Promise<void> {
    if (scope?.aborted) return Promise.reject(scope.reason);
    if (timeoutMs !== undefined && timeoutMs <= 0) return Promise.reject(onTimeout?.());
    const waiter = new Waiter(this, scope, onTimeout);
    const granted = new Promise<void>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    this.#append(waiter);
    scope?.listen(waiter);
    if (timeoutMs !== undefined) waiter.timer = this.#clock.setTimeout(() => waiter.expire(), timeoutMs);
    return granted;
  }

  /** Lets the oldest waiter go; false when nobody waits. */
  grantNext(): boolean {
    const waiter = this.#head;
    if (waiter === undefined) return false;
    this.remove(waiter);
    waiter.resolve();
    return true;
  }

  /**
   * Takes `waiter` out of the queue and releases its timer and listener; false when it had
   * already left (granted, aborted or timed out).
   * @internal
   */
  remove(waiter: Waiter): boolean {
    if (!waiter.queued) return false;
    waiter.queued = false;
    const { previous, next } = waiter;
    if (previous === undefined) this.#head = next;
    else previous.next = next;
    if (next === undefined) this.#tail = previous;
    else next.previous = previous;
    waiter.previous = undefined;
    waiter.next = undefined;
    this.#length--;
    if (waiter.timer !== undefined) {
      this.#clock.clearTimeout(waiter.timer);
      waiter.timer = undefined;
    }
    waiter.scope?.unlisten(waiter);
    return true;
  }

  #append(waiter: Waiter): void {
    waiter.previous = this.#tail;
    if (this.#tail === undefined) this.#head = waiter;
    else this.#tail.next = waiter;
    this.#tail = waiter;
    this.#length++;
  }
}
