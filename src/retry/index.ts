/**
 * Retry: runs a failed call again with backoff and jitter, within a deadline and an optional retry
 * budget ({@link RetryBudget}).
 *
 * Guide: [retry.md](../../docs/retry.md).
 * @module retry
 */
export { Retry } from './retry';
export type { RetryStats } from './stats';
export { RETRY_DEFAULTS, type RetryOptions, type BackoffOptions } from './options';
export type { BackoffKind, BackoffFunction, Jitter } from './backoff';
export { RetryBudget, RETRY_BUDGET_DEFAULTS, type RetryBudgetOptions } from './budget';
export type { RetryEvents, RetryEvent, RetrySuccessEvent, RetryExhaustedEvent, RetryExhaustedReason } from './events';
