/**
 * Events of a {@link LoadShedder}.
 * @module
 */
import type { Priority } from '../core/context';
import type { BulwarkEvent } from '../core/events';
import type { LoadLevel } from '../core/load-level';

/**
 * Why a call was shed:
 * - `capacity`: in-flight calls and queue were too full for its priority;
 * - `signals`: the Node load signals were too high for its priority;
 * - `queueTimeout`: it waited `queueTimeoutMs` in the queue;
 * - `deadline`: its deadline passed while it waited (or had passed when it had to wait).
 */
export type ShedReason = 'capacity' | 'signals' | 'queueTimeout' | 'deadline';

/** A call was shed with {@link LoadShedError}. */
export interface ShedEvent extends BulwarkEvent<'shed'> {
  /** The call's priority. */
  readonly priority: Priority;
  /** Why it was shed. */
  readonly reason: ShedReason;
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
  shed: ShedEvent;
  /** The load level changed. */
  loadLevelChange: LoadLevelChangeEvent;
};
