/**
 * Events of a {@link Lock}. Types only: importing them loads nothing.
 * @module
 */
import type { BulwarkEvent } from '../../core/events';
import type { LockLostReason, LockRejectionReason } from './errors';

/** A lease was taken. */
export interface LockAcquiredEvent extends BulwarkEvent<'acquired'> {
  /** The lock's key. */
  readonly key: string;
  /** The lease's fencing token. */
  readonly fence: number;
  /** The lease's time to live, in ms. */
  readonly ttlMs: number;
  /** How long the call waited for it, in ms (0 when the first attempt took it). */
  readonly waitedMs: number;
  /** Attempts made, this one included. */
  readonly attempts: number;
}

/** An `acquire` found the lock held by another holder on its first attempt (once per call). */
export interface LockContendedEvent extends BulwarkEvent<'contended'> {
  /** The lock's key. */
  readonly key: string;
  /** The holder's remaining time to live, in ms; `Infinity` for a key without one. */
  readonly retryAfterMs: number;
}

/** An `acquire` gave up, rejecting with {@link LockTimeoutError}. */
export interface LockRejectedEvent extends BulwarkEvent<'rejected'> {
  /** Why: the same as the error's `reason`. */
  readonly reason: LockRejectionReason;
  /** The lock's key. */
  readonly key: string;
  /** How long the call waited, in ms. */
  readonly waitedMs: number;
  /** Attempts made. */
  readonly attempts: number;
  /** The holder's remaining time to live at the last attempt, in ms; `Infinity` for none. */
  readonly retryAfterMs: number;
}

/** A lease was released while it still held the lock. */
export interface LockReleasedEvent extends BulwarkEvent<'released'> {
  /** The lock's key. */
  readonly key: string;
  /** The lease's fencing token. */
  readonly fence: number;
  /** How long it was held, in ms. */
  readonly heldMs: number;
}

/** A lease was found lost: by a `release` or `extend` that no longer held it, or by `withLock`. */
export interface LockLostEvent extends BulwarkEvent<'lost'> {
  /** The lock's key. */
  readonly key: string;
  /** The lease's fencing token. */
  readonly fence: number;
  /** How it was lost. */
  readonly reason: LockLostReason;
  /** How long after its acquisition it was found lost, in ms. */
  readonly heldMs: number;
  /** The last Redis error, when extends failed until the lease's expiry. */
  readonly error?: unknown;
}

/** Event map of {@link Lock.events}. */
export type LockEvents = {
  /** A lease was taken. */
  acquired: LockAcquiredEvent;
  /** An acquire found the lock held. */
  contended: LockContendedEvent;
  /** An acquire gave up. */
  rejected: LockRejectedEvent;
  /** A lease was released. */
  released: LockReleasedEvent;
  /** A lease was lost. */
  lost: LockLostEvent;
};

/** State and counters of a {@link Lock}; plain data, safe to serialise. */
export interface LockStats {
  /** Leases taken since creation. */
  readonly acquired: number;
  /** Leases released while they still held the lock. */
  readonly released: number;
  /** Leases found lost (see {@link LockLostEvent}). */
  readonly lost: number;
  /** Acquires that gave up with {@link LockTimeoutError}. */
  readonly rejected: number;
  /** Leases held now: taken, neither released nor found lost, and not past their expiry. */
  readonly held: number;
  /** Acquires waiting now for the lock to come free. */
  readonly waiting: number;
}
