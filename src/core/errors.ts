/**
 * Errors raised by bulwark itself. Every rejection that the library produces (rather than
 * passes through from your function) is a {@link BulwarkError} with a stable `code`.
 *
 * Every code is listed in docs/errors.md.
 * @module
 */

/** Brand shared by every copy of bulwark loaded in a process, so that checks survive duplicates. */
const BULWARK_ERROR = Symbol.for('bulwark.error');

/** Brand of the {@link RejectedError} family, shared the same way. */
const REJECTED_ERROR = Symbol.for('bulwark.rejectedError');

/** The stable codes carried by {@link BulwarkError.code}. */
export const ErrorCode = {
  /** A pattern was constructed with invalid options, or a call given invalid per-call options: {@link ConfigError}. */
  ConfigInvalid: 'CONFIG_INVALID',
  /** A Timeout's own deadline fired before the operation settled: {@link OperationTimeoutError}. */
  OperationTimeout: 'OPERATION_TIMEOUT',
  /** A circuit breaker refused the call: {@link CircuitOpenError}. */
  CircuitOpen: 'CIRCUIT_OPEN',
  /** A bulkhead's queue was full, or a queued call waited too long: {@link BulkheadRejectedError}. */
  BulkheadRejected: 'BULKHEAD_REJECTED',
  /** A load shedder dropped the call: {@link LoadShedError}. */
  LoadShed: 'LOAD_SHED',
  /** A call waited for backpressure to ease longer than allowed: {@link BackpressureTimeoutError}. */
  BackpressureTimeout: 'BACKPRESSURE_TIMEOUT',
  /** An adaptive concurrency limit was reached: {@link ConcurrencyLimitError}. */
  ConcurrencyLimit: 'CONCURRENCY_LIMIT',
  /** A rate limit was reached: {@link RateLimitError}. */
  RateLimited: 'RATE_LIMITED',
  /** A RedisStore (`bulwark/redis`) could not decide in time or at all: its `RedisStoreError`. */
  RedisStoreFailed: 'REDIS_STORE_FAILED',
  /** A guarded Redis client (`guardRedis`) did not send a command: its `RedisUnavailableError`. */
  RedisUnavailable: 'REDIS_UNAVAILABLE',
  /** A `Lock`'s acquire found the lock held for its whole wait: `LockTimeoutError`. */
  LockTimeout: 'LOCK_TIMEOUT',
  /** A `Lock`'s lease stopped being held while its holder still worked: `LockLostError`. */
  LockLost: 'LOCK_LOST',
  /** A `Lock` could not ask Redis, or was disposed: `LockUnavailableError`. */
  LockUnavailable: 'LOCK_UNAVAILABLE',
  /**
   * An HTTP response that counts as a failure (status ≥ 500 by default), as the middleware's
   * breaker and concurrency limiter see it: `FailureResponseError` (`bulwark/middleware`).
   */
  FailureResponse: 'FAILURE_RESPONSE',
  /** A RedisQueue job handler gave up on a job for good: `UnrecoverableError`. */
  JobUnrecoverable: 'JOB_UNRECOVERABLE',
  /** A RedisQueue worker has no handler for a job's type: `UnknownJobTypeError`. */
  JobTypeUnknown: 'JOB_TYPE_UNKNOWN',
  /** A RedisQueue job's payload is not JSON-serialisable or too large: `JobPayloadError`. */
  JobPayloadInvalid: 'JOB_PAYLOAD_INVALID',
  /** A RedisQueue job's handler was stopped (lease lost, worker closed): `JobAbortedError`. */
  JobAborted: 'JOB_ABORTED',
  /** A RedisQueue's Redis connection was not ready in time: `QueueConnectionError`. */
  QueueConnectionNotReady: 'QUEUE_CONNECTION_NOT_READY',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Base class of every error bulwark raises itself.
 *
 * Use {@link isBulwarkError} rather than `instanceof` when two copies of bulwark may be loaded
 * (for example one bundled by a dependency): it recognises errors from every copy.
 */
export class BulwarkError extends Error {
  /** Stable, documented error code, e.g. `OPERATION_TIMEOUT`. */
  readonly code: string;

  /**
   * @param code - stable error code
   * @param message - human-readable description
   * @param options - `cause`: the error that led to this one, if any
   */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Explicit name (not `constructor.name`, which minifiers mangle). */
  override get name(): string {
    return 'BulwarkError';
  }
}

Object.defineProperty(BulwarkError.prototype, BULWARK_ERROR, { value: true });

/**
 * Tells whether `error` was raised by bulwark (any loaded copy), optionally with a given code.
 *
 * @example
 * ```ts
 * if (isBulwarkError(err, 'OPERATION_TIMEOUT')) reply.status(504);
 * ```
 */
export function isBulwarkError(error: unknown, code?: string): error is BulwarkError {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as Record<symbol, unknown>)[BULWARK_ERROR] !== true) return false;
  return code === undefined || (error as BulwarkError).code === code;
}

/** One invalid field of a config object, as listed by {@link ConfigError}. */
export interface ConfigIssue {
  /** Dotted path of the field, e.g. `backoff.jitter`; empty for the object itself. */
  readonly path: string;
  /** Why it is invalid, including the value received when there is one. */
  readonly message: string;
}

/**
 * Options were invalid: a pattern's (thrown by its constructor), or a call's per-call options
 * (`execute` never throws it, but rejects the call with it, before anything runs). The message
 * lists every bad field with its path and reason, and {@link ConfigError.issues} has them one by one.
 */
export class ConfigError extends BulwarkError {
  /** Every invalid field, in the order the schema found them. */
  readonly issues: readonly ConfigIssue[];

  /**
   * @param subject - what was being configured, e.g. `Retry options`
   * @param issues - every invalid field
   */
  constructor(subject: string, issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => `  - ${issue.path || '(options)'}: ${issue.message}`);
    super(ErrorCode.ConfigInvalid, `Invalid ${subject}:\n${lines.join('\n')}`);
    this.issues = issues;
  }

  override get name(): string {
    return 'ConfigError';
  }
}

/**
 * A policy refused to run the function at all (the circuit is open, a queue is full, a limit is
 * reached). Middleware maps the whole family: the caller may try again after `retryAfterMs`, and
 * `reason` says why, in the same words as the policy's `rejected` event.
 */
export class RejectedError extends BulwarkError {
  /** Name of the policy instance that refused the call. */
  readonly policyName: string;
  /** Why it refused, a camelCase word per pattern, e.g. `queueFull`, `circuitOpen`, `limitReached`. */
  readonly reason: string;
  /**
   * How long to wait before trying again, in ms; `Infinity` when no time is known (e.g. an
   * isolated circuit).
   */
  readonly retryAfterMs: number;

  /**
   * @param code - stable error code
   * @param message - human-readable description
   * @param policyName - the policy that refused
   * @param reason - why it refused
   * @param retryAfterMs - when to try again, in ms from now
   */
  constructor(code: string, message: string, policyName: string, reason: string, retryAfterMs: number) {
    super(code, message);
    this.policyName = policyName;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }

  override get name(): string {
    return 'RejectedError';
  }
}

Object.defineProperty(RejectedError.prototype, REJECTED_ERROR, { value: true });

/**
 * Tells whether `error` is a refusal by a bulwark policy (any loaded copy): the function never
 * ran, so the refusal says nothing about the dependency's health. Circuit breakers and adaptive
 * limiters count such errors from inner policies neither as failures nor as successes.
 */
export function isRejectedError(error: unknown): error is RejectedError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[REJECTED_ERROR] === true;
}
