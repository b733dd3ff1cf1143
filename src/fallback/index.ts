export { Fallback } from './fallback';
export type { FallbackOptions, FallbackFunction } from './options';
export type { FallbackStats } from './stats';
export type { FallbackEvents, FallbackEvent } from './events';
