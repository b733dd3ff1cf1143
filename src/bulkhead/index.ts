/**
 * Bulkhead: caps the calls in flight, with a bounded FIFO queue and bounded waits.
 *
 * Guide: [bulkhead.md](../../docs/bulkhead.md).
 * @module bulkhead
 */
export { Bulkhead } from './bulkhead';
export { BulkheadRejectedError, type BulkheadRejectionReason } from './bulkhead-rejected-error';
export { BULKHEAD_DEFAULTS, type BulkheadOptions } from './options';
export type { BulkheadStats } from './stats';
export type { BulkheadEvents, BulkheadRejectedEvent } from './events';
