/**
 * What `withLock` does once it holds the lease: runs the function, keeps the lease alive while it
 * runs, tells it through its signal when the lease is lost, and releases the lease at the end.
 * @module
 * @internal
 */
import { unrefTimer, type Clock, type TimerHandle } from '../../core/clock';
import { leaseEnded, loseLease, type Lease } from './lease';

/** What a `withLock` function receives. */
export interface LockContext {
  /**
   * Aborts when the lease is lost (with a {@link LockLostError}: an extend found the lock gone or
   * taken, or extends kept failing until the lease's expiry) or when the caller's signal aborts
   * (with its reason). Stop work and make no more writes once it has aborted.
   */
  readonly signal: AbortSignal;
  /** The lease held while the function runs: pass `lease.fence` with every write downstream. */
  readonly lease: Lease;
}

/** How `withLock` keeps its lease. */
export interface HoldOptions {
  readonly ttlMs: number;
  readonly extendEveryMs: number;
  readonly signal: AbortSignal | undefined;
  readonly clock: Clock;
}

/**
 * Runs `fn` while holding `lease`: extends it by `ttlMs` every `extendEveryMs` (a failed extend is
 * retried sooner, before the lease's expiry), declares it lost at its expiry when no extend
 * succeeded in time, and releases it when `fn` settles. Returns `fn`'s outcome; a release that
 * fails is logged (the lock then expires by its time to live).
 */
export async function hold<T>(lease: Lease, fn: (ctx: LockContext) => T | PromiseLike<T>, options: HoldOptions): Promise<T> {
  const { ttlMs, extendEveryMs, signal: callerSignal, clock } = options;
  const controller = new AbortController();
  const ended = lease[leaseEnded]();
  let stopped = false;
  let lastError: unknown;
  let extendTimer: TimerHandle | undefined;
  let expiryTimer: TimerHandle | undefined;

  const stopTimers = (): void => {
    stopped = true;
    clock.clearTimeout(extendTimer);
    clock.clearTimeout(expiryTimer);
  };
  const onEnded = (): void => {
    stopTimers();
    controller.abort(ended.reason);
  };
  const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
  const armExpiry = (): void => {
    clock.clearTimeout(expiryTimer);
    expiryTimer = clock.setTimeout(onExpiry, Math.max(0, lease.expiresAt - clock.now()));
    unrefTimer(expiryTimer);
  };
  const onExpiry = (): void => {
    if (stopped) return;
    if (clock.now() < lease.expiresAt) armExpiry();
    else lease[loseLease]('expired', lastError);
  };
  const scheduleExtend = (ms: number): void => {
    extendTimer = clock.setTimeout(extendNow, ms);
    unrefTimer(extendTimer);
  };
  const extendNow = (): void => {
    lease.extend(ttlMs).then(
      (extended) => {
        if (stopped || !extended) return;
        lastError = undefined;
        armExpiry();
        scheduleExtend(extendEveryMs);
      },
      (error: unknown) => {
        if (stopped) return;
        lastError = error;
        scheduleExtend(Math.min(extendEveryMs, Math.max(1, (lease.expiresAt - clock.now()) / 2)));
      },
    );
  };

  try {
    if (callerSignal?.aborted) throw callerSignal.reason;
    ended.addEventListener('abort', onEnded, { once: true });
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    armExpiry();
    scheduleExtend(extendEveryMs);
    return await fn({ signal: controller.signal, lease });
  } finally {
    stopTimers();
    ended.removeEventListener('abort', onEnded);
    callerSignal?.removeEventListener('abort', onCallerAbort);
    await lease[Symbol.asyncDispose]();
  }
}
