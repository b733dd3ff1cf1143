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
