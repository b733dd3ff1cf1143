/**
 * The {@link CircuitOpenError}s one circuit breaker refuses calls with.
 * @module
 * @internal
 */
import type { Clock } from '../core/clock';
import { Rejections } from '../core/rejection';
import type { CircuitController } from './circuit-controller';
import { CircuitOpenError, type CircuitRejectionReason } from './circuit-open-error';

/**
 * Makes a breaker's refusal errors: stackless by default, one prototype per reason for the
 * breaker's whole life (not one per open period, which would make every site that handles them
 * megamorphic), or real errors with `captureRejectionStacks`.
 *
 * The stackless `circuitOpen` errors carry no own property at all: their `retryAfterMs` is a
 * getter of their prototype that reads the breaker's current open period, so that refusing a call
 * while open reads no clock.
 */
export class CircuitRejections {
  readonly #rejections: Rejections<CircuitOpenError, CircuitRejectionReason>;
  readonly #captureStacks: boolean;
  readonly #controller: CircuitController;
  readonly #clock: Clock;
  /**
   * @param policyName - the breaker's name
   * @param captureStacks - its `captureRejectionStacks` option
   * @param controller - its state machine, for the open period's end
   * @param clock - its clock
   */
  constructor(policyName: string, captureStacks: boolean, controller: CircuitController, clock: Clock) {
    this.#rejections = new Rejections(
      (reason) => new CircuitOpenError(policyName, reason, reason === 'isolated' ? Number.POSITIVE_INFINITY : 0),
      captureStacks,
    );
    this.#captureStacks = captureStacks;
    this.#controller = controller;
    this.#clock = clock;
    if (!captureStacks) {
      Object.defineProperty(this.#rejections.prototypeOf('circuitOpen'), 'retryAfterMs', {
        get: () => this.#retryAfterMs(),
        enumerable: true,
        configurable: true,
      });
    }
  }

  /** A refusal while open: `retryAfterMs` is the time until the open period ends (0 once it has). */
  open(): CircuitOpenError {
    if (this.#captureStacks) {
      return this.#rejections.create('circuitOpen', { retryAfterMs: this.#retryAfterMs() });
    }
    return this.#rejections.create('circuitOpen');
  }

  /** A refusal while half-open with every probe slot taken. */
  halfOpenFull(retryAfterMs: number): CircuitOpenError {
    return this.#rejections.create('halfOpenFull', { retryAfterMs });
  }

  /** A refusal while isolated: `retryAfterMs` is `Infinity`. */
  isolated(): CircuitOpenError {
    return this.#rejections.create('isolated');
  }

  #retryAfterMs(): number {
    return Math.max(0, this.#controller.openUntil - this.#clock.now());
  }
}
