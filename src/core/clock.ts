/**
 * Time, made injectable: every pattern reads the time and sets timers through a {@link Clock}, so
 * that tests can drive it with fake timers or a manual clock instead of sleeping.
 * @module
 */

/** Opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** The source of time and timers used by a pattern; pass one as `clock` in any pattern's options. */
export interface Clock {
  /** Current time in ms since the epoch (like `Date.now()`). */
  now(): number;
  /**
   * Calls `callback` once after `ms` milliseconds.
   * @param callback - what to run
   * @param ms - delay in ms
   */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer made by {@link Clock.setTimeout}; a no-op for a timer that already ran. */
  clearTimeout(handle: TimerHandle): void;
  /**
   * Resolves after `ms` ms of this clock's time; rejects with `signal.reason` as soon as `signal`
   * aborts. Implement it with {@link sleep} unless the clock has a better way.
   * @param ms - how long to sleep, in ms
   * @param signal - optional signal that cuts the sleep short
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The longest delay Node's timers take (2^31 − 1 ms, about 24.8 days); a longer one would fire
 * after 1 ms. The system clock caps delays here, so a far-away timer fires early instead, and
 * callers that re-check the time (a Timeout's deadline list) simply re-arm.
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * The real clock: `Date.now()` and the global timer functions, looked up at call time so that
 * `vi.useFakeTimers()` (or sinon's) takes effect even after a pattern was constructed.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.min(ms, MAX_TIMER_DELAY_MS)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  sleep: (ms, signal) => sleep(ms, signal, systemClock),
};

/**
 * Lets a timer made by a {@link Clock} not keep the process alive, when the clock's handles
 * support it (Node's do; a test clock's need not).
 */
export function unrefTimer(handle: TimerHandle): void {
  (handle as { unref?: () => void } | null | undefined)?.unref?.();
}

/**
 * Resolves after `ms` milliseconds of `clock` time, or rejects with `signal.reason` as soon as
 * `signal` aborts (at once if it already has). The timer and the abort listener are both removed
 * when the sleep ends either way, so a long-lived signal collects no listeners.
 *
 * @param ms - how long to sleep, in ms; 0 or less resolves on the next macrotask
 * @param signal - optional signal that cuts the sleep short
 * @param clock - whose timers to use
 * @throws the signal's reason when it aborts
 */
export function sleep(
  ms: number,
  signal?: AbortSignal,
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> = systemClock,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
