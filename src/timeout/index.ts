export { Timeout } from './timeout';
export { TIMEOUT_DEFAULTS, type TimeoutOptions, type TimeoutStrategy } from './options';
export type { TimeoutEvents, TimeoutEvent } from './events';
