/**
 * The errors of a RedisQueue: a handler's way to skip retries, and the queue's own refusals.
 * @module
 */
import { BulwarkError, ErrorCode } from '../../core/errors';


/**
 * Thrown by a job handler to fail the job at once, without the retries it has left: the job goes
 * to the dead-letter set with this error. Code `JOB_UNRECOVERABLE`.
 *
 * @example
 * ```ts
 * queue.process({ charge: async (job) => {
 *   if (!isValidCard(job.payload)) throw new UnrecoverableError('card number is invalid');
 *   await pay(job.payload);
 * } });
 * ```
 */
export class UnrecoverableError extends BulwarkError {
  /**
   * @param message - why the job cannot succeed
   * @param options - `cause`: the underlying error, if any
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.JobUnrecoverable, message, options);
  }

  override get name(): string {
    return 'UnrecoverableError';
  }
}

/**
 * A worker took a job whose type has no handler: the job fails with this error, skips its retries
 * and goes to the dead-letter set (it is never dropped silently). Code `JOB_TYPE_UNKNOWN`.
 */
export class UnknownJobTypeError extends BulwarkError {
  /** The job's type. */
  readonly jobType: string;

  /**
   * @param jobType - the type nobody handles
   * @param known - the types the worker routes
   */
  constructor(jobType: string, known: readonly string[]) {
    super(ErrorCode.JobTypeUnknown, `no handler for job type "${jobType}" (this worker handles: ${known.join(', ') || 'none'})`);
    this.jobType = jobType;
  }

  override get name(): string {
    return 'UnknownJobTypeError';
  }
}

/**
 * `add` or `addBulk` refused a payload: not JSON-serialisable, or larger than the queue's
 * `maxPayloadBytes` once encoded. Nothing was written. Code `JOB_PAYLOAD_INVALID`.
 */
export class JobPayloadError extends BulwarkError {
  /** The payload's encoded size in bytes, when it could be encoded. */
  readonly bytes: number | undefined;

  /**
   * @param message - what is wrong with the payload
   * @param bytes - its encoded size, if known
   * @param cause - the serialisation error, if any
   */
  constructor(message: string, bytes?: number, cause?: unknown) {
    super(ErrorCode.JobPayloadInvalid, message, cause === undefined ? undefined : { cause });
    this.bytes = bytes;
  }

  override get name(): string {
    return 'JobPayloadError';
  }
}

/**
 * The reason `ctx.signal` aborts when a running job is stopped by its worker rather than by its own
 * timeout: the worker lost the job's lease (another worker may run it now), or closed and its
 * `drainMs` ran out (the job goes back to ready). Code `JOB_ABORTED`.
 */
export class JobAbortedError extends BulwarkError {
  /** Why: `leaseLost` or `workerClosed`. */
  readonly reason: 'leaseLost' | 'workerClosed';

  /**
   * @param jobId - the job's id
   * @param reason - why it was stopped
   */
  constructor(jobId: string, reason: 'leaseLost' | 'workerClosed') {
    super(
      ErrorCode.JobAborted,
      reason === 'leaseLost'
        ? `job ${jobId}: the worker lost its lease (Redis unreachable or the event loop blocked past leaseMs)`
        : `job ${jobId}: the worker closed before the job ended; it goes back to ready`,
    );
    this.reason = reason;
  }

  override get name(): string {
    return 'JobAbortedError';
  }
}

/**
 * A queue call found its Redis connection not ready (connecting, reconnecting, closed, or created
 * with `lazyConnect` and never connected) and it did not become ready within `redisTimeoutMs`,
 * or found its socket closed while ioredis still reported it ready (`closing`). Nothing was sent. Code `QUEUE_CONNECTION_NOT_READY`.
 */
export class QueueConnectionError extends BulwarkError {
  /**
   * @param outcome - how the wait for the connection ended
   * @param status - the connection's ioredis status
   */
  constructor(outcome: string, status: string) {
    super(ErrorCode.QueueConnectionNotReady, `Redis connection not ready (${outcome}, status: ${status}); nothing was sent`);
  }

  override get name(): string {
    return 'QueueConnectionError';
  }
}
