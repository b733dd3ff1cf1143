import {
  AdaptiveConcurrencyLimiter,
  type AdaptiveConcurrencyLimiterOptions,
  type LimitChangeEvent,
} from '../../src/adaptive-concurrency/index';
import { ManualClock } from '../support/manual-clock';

/** A limiter on a manual clock, outside the default registry, recording its limit changes. */
export function limiterOnClock(options: AdaptiveConcurrencyLimiterOptions = {}) {
  const clock = new ManualClock();
  const limiter = new AdaptiveConcurrencyLimiter({ registry: false, clock, ...options });
  const changes: Array<Pick<LimitChangeEvent, 'from' | 'to' | 'reason'>> = [];
  limiter.events.on('limitChange', ({ from, to, reason }) => changes.push({ from, to, reason }));
  return { clock, limiter, changes };
}

/** A promise with its resolve and reject functions, to settle a call when a test says so. */
export function deferred<T = string>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves with how `promise` ended, without throwing. */
export function settled<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Whether `promise` has settled yet (after letting pending callbacks run). */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}
