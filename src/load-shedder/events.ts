/**
 * Events of a {@link LoadShedder}.
 * @module
 */
import type { Priority } from '../core/context';
import type { BulwarkEvent } from '../core/events';
import type { LoadLevel } from './load-level';
import type { ShedReason } from './load-shed-error';

/** A call was shed with {@link LoadShedError}; its function never ran. */
export interface LoadShedderRejectedEvent extends BulwarkEvent<'rejected'> {
  /**
   * Why it was shed, the same value as the error's `reason`: `capacity`, `signals`,
   * `queueTimeout` or `deadline` (see {@link ShedReason}).
   */
  readonly reason: ShedReason;
  /** The call's priority. */
  readonly priority: Priority;
  /** The load level when it was shed. */
  readonly loadLevel: LoadLevel;
  /** The hint given to the caller, in ms. */
  readonly retryAfterMs: number;
  /** Calls running when it was shed. */
  readonly inFlight: number;
  /** Calls waiting when it was shed. */
  readonly queued: number;
}

/** The load level changed. */
export interface LoadLevelChangeEvent extends BulwarkEvent<'loadLevelChange'> {
  /** The level it left. */
  readonly from: LoadLevel;
  /** The level it entered. */
  readonly to: LoadLevel;
}

/** Event map of {@link LoadShedder.events}. */
export type LoadShedderEvents = {
  /** A call was shed. */
  rejected: LoadShedderRejectedEvent;
  /** The load level changed. */
  loadLevelChange: LoadLevelChangeEvent;
};
