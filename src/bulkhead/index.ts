export { Bulkhead } from './bulkhead';
export { BulkheadRejectedError, type BulkheadRejectionReason } from './bulkhead-rejected-error';
export { BULKHEAD_DEFAULTS, type BulkheadOptions } from './options';
export type { BulkheadStats } from './stats';
export type { BulkheadEvents, BulkheadRejectedEvent } from './events';
