/**
 * The permit that {@link AdaptiveConcurrencyLimiter.acquire} hands out.
 * @module
 */
import { FAILURE, IGNORED, SUCCESS, type Verdict } from '../core/outcome';

/**
 * How a call that held a permit ended, as the limit algorithm should learn it:
 * - `success`: the dependency answered; the round-trip time is a sample;
 * - `dropped`: it failed or timed out (overload): the limit may shrink;
 * - `ignored`: it says nothing about the dependency (the caller gave up, a validation error): not a sample.
 */
export type PermitOutcome = 'success' | 'dropped' | 'ignored';

/**
 * A slot under an {@link AdaptiveConcurrencyLimiter}'s limit, held from `acquire` until released.
 * Release it exactly once with the call's outcome; further releases are no-ops. Disposing it
 * (`await using`) without a release releases it as `ignored`.
 *
 * @example
 * ```ts
 * await using permit = await limiter.acquire({ signal });
 * const value = await redis.get(key);
 * permit.release('success'); // without this line, disposal would release it as 'ignored'
 * ```
 */
export interface ConcurrencyPermit {
  /** Whether it has been released (or disposed). */
  readonly released: boolean;
  /**
   * Gives the slot back and tells the limit algorithm how the call ended; round-trip time is
   * measured from `acquire` to this call. A no-op after the first release.
   * @throws TypeError when `outcome` is not `'success'`, `'dropped'` or `'ignored'` (the permit stays held)
   */
  release(outcome: PermitOutcome): void;
  /** Releases the permit as `'ignored'` unless it was released already. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The verdict of a released permit, in core's terms: `'success'` is {@link SUCCESS}, `'dropped'`
 * is {@link FAILURE}, `'ignored'` is {@link IGNORED}; undefined for anything else.
 */
function verdictOf(outcome: PermitOutcome): Verdict | undefined {
  switch (outcome) {
    case 'success':
      return SUCCESS;
    case 'dropped':
      return FAILURE;
    case 'ignored':
      return IGNORED;
    default:
      return undefined;
  }
}

/** What a permit reports its release to: the limiter. @internal */
export interface PermitOwner {
  settle(startedAt: number, inFlight: number, verdict: Verdict): void;
}

/**
 * A permit: the one object an `acquire` allocates besides its promise.
 * @internal
 */
export class Permit implements ConcurrencyPermit {
  readonly #owner: PermitOwner;
  readonly #startedAt: number;
  readonly #inFlight: number;
  #released = false;

  constructor(owner: PermitOwner, startedAt: number, inFlight: number) {
    this.#owner = owner;
    this.#startedAt = startedAt;
    this.#inFlight = inFlight;
  }

  get released(): boolean {
    return this.#released;
  }

  release(outcome: PermitOutcome): void {
    if (this.#released) return;
    const verdict = verdictOf(outcome);
    if (verdict === undefined) {
      throw new TypeError(`permit.release: outcome must be 'success', 'dropped' or 'ignored', got ${String(outcome)}`);
    }
    this.#released = true;
    this.#owner.settle(this.#startedAt, this.#inFlight, verdict);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release('ignored');
  }
}
