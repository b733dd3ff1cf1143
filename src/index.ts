/**
 * bulwark: composable async resilience patterns for Node.js; everything but the Redis store is
 * imported from here.
 *
 * Wrap calls with {@link wrap} or `policy.execute`, combine policies with {@link compose},
 * decorate methods with {@link resilient}, and watch everything on the {@link bus}. Start with
 * the [README](../README.md) and the guides, e.g. [composition](../docs/composition.md),
 * [errors](../docs/errors.md) and [events](../docs/events.md).
 * @module bulwark
 */
export {
  compose,
  wrap,
  type Policy,
  type Pipeline,
  type LayerStats,
  type ExecuteOptions,
  type ExecutionContext,
  type Priority,
} from './core/policy';
export { systemClock, sleep, type Clock, type TimerHandle } from './core/clock';
export {
  BulwarkError,
  ConfigError,
  RejectedError,
  ErrorCode,
  isBulwarkError,
  isRejectedError,
  type ConfigIssue,
} from './core/errors';
export { OperationTimeoutError } from './timeout/operation-timeout-error';
export {
  CircuitOpenError,
  type CircuitRejectionReason,
  type RejectingCircuitState,
} from './circuit-breaker/circuit-open-error';
export { BulkheadRejectedError, type BulkheadRejectionReason } from './bulkhead/bulkhead-rejected-error';
export { LoadShedError, type ShedReason } from './load-shedder/load-shed-error';
export { BackpressureTimeoutError, type BackpressureRejectionReason } from './backpressure/backpressure-timeout-error';
export { ConcurrencyLimitError, type ConcurrencyRejectionReason } from './adaptive-concurrency/concurrency-limit-error';
export { RateLimitError, type RateLimitRejectionReason } from './rate-limiter/rate-limit-error';
export {
  ExceptionHandler,
  type ExceptionConfig,
  type ExceptionContext,
  type ErrorClass,
} from './core/exceptions';
export type { BulwarkEvent, EventEmitter, EventHandler, SubscribeOptions, Unsubscribe, WildcardEventHandler } from './core/events';
export type { CommonOptions } from './core/config';
export {
  Registry,
  defaultRegistry,
  type Registrable,
  type PatternHealth,
  type HealthReport,
  type InstanceHealth,
} from './core/registry';
export { setLogger, getLogger, silentLogger, type Logger, type LogMethod } from './core/logger';
export { bus, type BulwarkEventMap, type PatternEventMaps, type PatternType } from './bus';
export {
  Retry,
  RetryBudget,
  RETRY_DEFAULTS,
  RETRY_BUDGET_DEFAULTS,
  type RetryOptions,
  type RetryStats,
  type BackoffOptions,
  type BackoffKind,
  type BackoffFunction,
  type Jitter,
  type RetryBudgetOptions,
  type RetryEvents,
  type RetryEvent,
  type RetrySuccessEvent,
  type RetryExhaustedEvent,
  type RetryExhaustedReason,
} from './retry/index';
export {
  Timeout,
  TIMEOUT_DEFAULTS,
  type TimeoutOptions,
  type TimeoutStrategy,
  type TimeoutStats,
  type TimeoutEvents,
  type TimeoutEvent,
} from './timeout/index';
export {
  Fallback,
  type FallbackOptions,
  type FallbackFunction,
  type FallbackStats,
  type FallbackEvents,
  type FallbackEvent,
} from './fallback/index';
export {
  CircuitBreaker,
  CircuitState,
  CIRCUIT_BREAKER_DEFAULTS,
  type CircuitBreakerStats,
  type CircuitBreakerTotals,
  type CircuitBreakerSnapshot,
  type RecoveryBackoffOptions,
  type CircuitBreakerOptions,
  type CountWindowOptions,
  type TimeWindowOptions,
  type StateChangeReason,
  type CircuitBreakerEvents,
  type StateChangeEvent,
  type CircuitSuccessEvent,
  type CircuitFailureEvent,
  type CircuitRejectedEvent,
} from './circuit-breaker/index';
export {
  Bulkhead,
  BULKHEAD_DEFAULTS,
  type BulkheadOptions,
  type BulkheadStats,
  type BulkheadEvents,
  type BulkheadRejectedEvent,
} from './bulkhead/index';
export {
  Backpressure,
  BACKPRESSURE_DEFAULTS,
  type BackpressureOptions,
  type BackpressureStats,
  type BackpressureEvents,
  type BackpressurePauseEvent,
  type BackpressureResumeEvent,
  type BackpressureRejectedEvent,
} from './backpressure/index';
export {
  LoadShedder,
  LoadLevel,
  LOAD_SHEDDER_DEFAULTS,
  type LoadShedderOptions,
  type LoadSignalsOptions,
  type PriorityThresholds,
  type LoadSignalSource,
  type LoadSignalReader,
  type LoadShedderStats,
  type LoadSignalReadings,
  type LoadShedderEvents,
  type LoadShedderRejectedEvent,
  type LoadLevelChangeEvent,
} from './load-shedder/index';
export {
  AdaptiveConcurrencyLimiter,
  ADAPTIVE_CONCURRENCY_LIMITER_DEFAULTS,
  type AdaptiveConcurrencyLimiterOptions,
  type AdaptiveConcurrencyLimiterStats,
  type LimitAlgorithmName,
  type ConcurrencyPermit,
  type PermitOutcome,
  type AdaptiveConcurrencyLimiterEvents,
  type LimitChangeEvent,
  type LimitChangeReason,
  type ConcurrencyRejectedEvent,
} from './adaptive-concurrency/index';
export {
  RateLimiter,
  RATE_LIMITER_DEFAULTS,
  MemoryStore,
  MEMORY_STORE_DEFAULTS,
  type RateLimiterOptions,
  type MemoryStoreOptions,
  type RateLimitMode,
  type StoreErrorPolicy,
  type RateLimitAlgorithm,
  type RateLimitResult,
  type RateLimitRule,
  type RateLimitStore,
  type RateWindow,
  type RuleWindow,
  type TokenBucketLimit,
  type TokenRate,
  type RateLimiterStats,
  type RateLimiterEvents,
  type RateLimitRejectedEvent,
  type RateLimitStoreErrorEvent,
} from './rate-limiter/index';
export { resilient, type AsyncMethod, type PolicyFactory, type ResilientDecorator } from './decorators/index';
