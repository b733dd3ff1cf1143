/**
 * Timeout: bounds each call (aggressive or cooperative) and enforces deadline budgets.
 *
 * Guide: [timeout.md](../../docs/timeout.md).
 * @module timeout
 */
export { Timeout } from './timeout';
export { OperationTimeoutError } from './operation-timeout-error';
export { TIMEOUT_DEFAULTS, type TimeoutOptions, type TimeoutStrategy } from './options';
export type { TimeoutStats } from './stats';
export type { TimeoutEvents, TimeoutEvent } from './events';
