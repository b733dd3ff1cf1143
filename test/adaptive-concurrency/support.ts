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
