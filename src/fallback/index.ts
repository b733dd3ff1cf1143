/**
 * Fallback: replaces a handled failure with a value.
 *
 * Guide: [fallback.md](../../docs/fallback.md).
 * @module fallback
 */
export { Fallback } from './fallback';
export type { FallbackOptions, FallbackFunction } from './options';
export type { FallbackStats } from './stats';
export type { FallbackEvents, FallbackEvent } from './events';
