export { Bulkhead } from './bulkhead';
export { BULKHEAD_DEFAULTS, type BulkheadOptions } from './options';
export type { BulkheadStats } from './stats';
export type { BulkheadEvents, BulkheadRejectedEvent } from './events';
