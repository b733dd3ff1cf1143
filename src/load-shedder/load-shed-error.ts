/**
 * The error a {@link LoadShedder} refuses calls with.
 * @module
 */
import { ErrorCode, RejectedError } from '../core/errors';
import type { LoadLevel } from './load-level';

/**
 * Why a call was shed, as `LoadShedError.reason` and the `rejected` event say:
 * - `capacity`: in-flight calls and queue were too full for its priority;
 * - `signals`: the Node load signals were too high for its priority;
 * - `queueTimeout`: it waited `maxWaitMs` in the queue;
 * - `deadline`: its deadline passed while it waited (or had passed when it had to wait).
 */
export type ShedReason = 'capacity' | 'signals' | 'queueTimeout' | 'deadline';

/** A load shedder dropped the call to protect the process. */
export class LoadShedError extends RejectedError {
  declare readonly reason: ShedReason;
  /** The load level when the call was shed. */
  readonly loadLevel: LoadLevel;

  /**
   * @param policyName - name of the load shedder
   * @param reason - why the call was shed
   * @param loadLevel - the load level that shed the call
   * @param retryAfterMs - hint for when to try again, in ms
   */
  constructor(policyName: string, reason: ShedReason, loadLevel: LoadLevel, retryAfterMs: number) {
    super(ErrorCode.LoadShed, `Load shedder "${policyName}" shed the call (load ${loadLevel}, ${reason})`, policyName, reason, retryAfterMs);
    this.loadLevel = loadLevel;
  }

  override get name(): string {
    return 'LoadShedError';
  }
}
