/**
 * Events of a {@link RateLimiter}.
 * @module
 */
import type { BulwarkEvent } from '../core/events';
import type { StoreErrorPolicy } from './options';
import type { RateLimitRejectionReason } from './rate-limit-error';

/** A request was refused: by `consume`, or by `execute` (whose function then never ran). */
export interface RateLimitRejectedEvent extends BulwarkEvent<'rejected'> {
  /** Why: `limitReached`, a window had no room for the request; the same as the error's `reason`. */
  readonly reason: RateLimitRejectionReason;
  /** The key that was limited. */
  readonly key: string;
  /** Units the request asked for. */
  readonly cost: number;
  /** The limit of the refusing window. */
  readonly limit: number;
  /** Ms until a request of the same cost would be admitted (`Infinity`: never). */
  readonly retryAfterMs: number;
  /** How long an `execute` in `mode: 'wait'` waited before giving up, in ms; 0 otherwise. */
  readonly waitedMs: number;
}

/**
 * The store failed (threw or rejected) after working, or at its first use: emitted once per
 * outage, until a store call succeeds again.
 */
export interface RateLimitStoreErrorEvent extends BulwarkEvent<'storeError'> {
  /** The store's error. */
  readonly error: unknown;
  /** What the limiter does while the store fails. */
  readonly onStoreError: StoreErrorPolicy;
}

/** Event map of {@link RateLimiter.events}. */
export type RateLimiterEvents = {
  /** A request was refused. */
  rejected: RateLimitRejectedEvent;
  /** The store started failing. */
  storeError: RateLimitStoreErrorEvent;
};
