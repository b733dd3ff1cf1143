/**
 * The error a guarded call ends with when its response is a failure, so that the circuit breaker
 * and the concurrency limiter count it.
 * @module
 */
import { BulwarkError, ErrorCode } from '../core/errors';

/**
 * A guarded handler answered with a status that `isFailureResponse` counts as a failure (≥ 500
 * by default). The guard's circuit breaker and concurrency limiter see the response as this error;
 * list it in their `exceptions.handle` when that option narrows what counts. It never reaches the
 * client: the handler's own response has been sent.
 */
export class FailureResponseError extends BulwarkError {
  /** The status of the response. */
  readonly status: number;

  /** @param status - the status of the response */
  constructor(status: number) {
    super(ErrorCode.FailureResponse, `The response had status ${status}`);
    this.status = status;
  }

  override get name(): string {
    return 'FailureResponseError';
  }
}
