export { Fallback } from './fallback';
export type { FallbackOptions, FallbackFunction } from './options';
export type { FallbackEvents, FallbackEvent } from './events';
