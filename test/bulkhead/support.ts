import { Bulkhead, type BulkheadOptions, type BulkheadRejectedEvent } from '../../src/bulkhead/index';
import { ManualClock } from '../support/manual-clock';

/** A bulkhead on a manual clock, outside the default registry, recording its rejected events. */
export function bulkheadOnClock(options: BulkheadOptions = {}) {
  const clock = new ManualClock();
  const bulkhead = new Bulkhead({ registry: false, clock, ...options });
  const rejections: BulkheadRejectedEvent[] = [];
  bulkhead.events.on('rejected', (event) => rejections.push(event));
  return { clock, bulkhead, rejections };
}

/** A promise settled from outside, for functions that stay running until a test lets them end. */
export function deferred<T = string>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets queued promise callbacks run (a few microtask turns). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
