export { Backpressure, type BackpressureStats } from './backpressure';
export { BACKPRESSURE_DEFAULTS, type BackpressureOptions } from './options';
export type { BackpressureEvents, BackpressurePauseEvent, BackpressureResumeEvent, BackpressureTimeoutEvent } from './events';
