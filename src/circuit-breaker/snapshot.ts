/**
 * A circuit breaker's state as plain data: what {@link CircuitBreaker.toJSON} returns and
 * `initialState` takes, so that an open circuit stays open across a restart.
 * @module
 */
import { z } from 'zod';
import { positiveDurationMs } from '../core/config';
import { CircuitState } from './state';

/**
 * The part of a circuit breaker's state that outlives its process: the state, when an open
 * circuit may next probe, and how far `recoveryBackoff` has grown the recovery timeout. Calls in
 * flight and the window's recorded outcomes are not part of it: a restored breaker starts its
 * window empty, and a restored half-open breaker admits new probes.
 *
 * @example
 * ```ts
 * await fs.writeFile('breaker.json', JSON.stringify(breaker));
 * // …after a restart:
 * const initialState = JSON.parse(await fs.readFile('breaker.json', 'utf8'));
 * const breaker = new CircuitBreaker({ name: 'payments', initialState });
 * ```
 */
export interface CircuitBreakerSnapshot {
  /** The state. */
  readonly state: CircuitState;
  /**
   * While open: when the recovery timeout ends, in ms since the epoch (a wall-clock time, so that
   * it means the same in the next process). Absent in the other states; an `open` snapshot
   * without it restores open for a whole recovery timeout.
   */
  readonly openUntil?: number | undefined;
  /** The recovery timeout the next open period waits, in ms (grown by `recoveryBackoff`). */
  readonly recoveryTimeoutMs?: number | undefined;
}

/** Schema of {@link CircuitBreakerSnapshot}, as `initialState` accepts it. */
export const circuitBreakerSnapshotSchema = z.strictObject({
  state: z.enum(Object.values(CircuitState) as [CircuitState, ...CircuitState[]]),
  openUntil: z.number().finite().optional(),
  recoveryTimeoutMs: positiveDurationMs.optional(),
});
