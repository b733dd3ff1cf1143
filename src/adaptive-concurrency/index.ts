/**
 * AdaptiveConcurrencyLimiter: finds how many concurrent calls a dependency can take (AIMD,
 * Gradient2, Vegas).
 *
 * Guide: [adaptive-concurrency.md](../../docs/adaptive-concurrency.md).
 * @module adaptive-concurrency
 */
export { AdaptiveConcurrencyLimiter } from './adaptive-concurrency-limiter';
export { ConcurrencyLimitError, type ConcurrencyRejectionReason } from './concurrency-limit-error';
export {
  ADAPTIVE_CONCURRENCY_LIMITER_DEFAULTS,
  type AdaptiveConcurrencyLimiterOptions,
  type LimitAlgorithmName,
} from './options';
export type { ConcurrencyPermit, PermitOutcome } from './permit';
export type { AdaptiveConcurrencyLimiterStats } from './stats';
export type {
  AdaptiveConcurrencyLimiterEvents,
  LimitChangeEvent,
  LimitChangeReason,
  ConcurrencyRejectedEvent,
} from './events';
