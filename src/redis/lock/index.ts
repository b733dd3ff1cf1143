/**
 * Lock: a single-Redis mutex with fencing tokens, `acquire` / `withLock`.
 *
 * Guide: [lock.md](../../../docs/lock.md).
 * @module
 */
export { Lock, type LockKey } from './lock';
export { Lease } from './lease';
export type { LockContext } from './hold';
export {
  LockLostError,
  LockTimeoutError,
  LockUnavailableError,
  type LockLostReason,
  type LockRejectionReason,
} from './errors';
export type {
  LockAcquiredEvent,
  LockContendedEvent,
  LockEvents,
  LockLostEvent,
  LockRejectedEvent,
  LockReleasedEvent,
  LockStats,
} from './events';
export type { LockKeys } from './keys';
export { LOCK_DEFAULTS, type AcquireOptions, type LockOptions, type WithLockOptions } from './options';
