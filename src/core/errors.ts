/**
 * Errors raised by bulwark itself. Every rejection that the library produces (rather than
 * passes through from your function) is a {@link BulwarkError} with a stable `code`.
 *
 * Every code is listed in docs/errors.md.
 * @module
 */

import type { LoadLevel } from './load-level';

/** Brand shared by every copy of bulwark loaded in a process, so that checks survive duplicates. */
const BULWARK_ERROR = Symbol.for('bulwark.error');

/** Brand of the {@link RejectedError} family, shared the same way. */
const REJECTED_ERROR = Symbol.for('bulwark.rejectedError');

/** The stable codes carried by {@link BulwarkError.code}. */
export const ErrorCode = {
  /** A pattern was constructed with invalid options: {@link ConfigError}. */
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
 * A pattern's options were invalid. Thrown by constructors, never by `execute`; the message lists
 * every bad field with its path and reason, and {@link ConfigError.issues} has them one by one.
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
 * A Timeout's own time limit ran out before the operation settled. Raised only when the Timeout's
 * timer fired: a caller's abort surfaces as the caller's own reason, never as this error.
 */
export class OperationTimeoutError extends BulwarkError {
  /** How long the Timeout waited, in ms: its `timeoutMs`, or less when a deadline budget was shorter. */
  readonly timeoutMs: number;
  /** Name of the Timeout instance that fired. */
  readonly policyName: string;
  /**
   * What set the limit that ran out: `'timeout'` for the Timeout's own `timeoutMs`, `'deadline'`
   * when the caller's deadline budget was earlier.
   */
  readonly trigger: 'timeout' | 'deadline';

  /**
   * @param policyName - name of the Timeout that fired
   * @param timeoutMs - how long it waited, in ms
   * @param trigger - whether its own `timeoutMs` or the caller's deadline set the limit
   * @param options - `cause`: the operation's own error, when a cooperative operation failed after the timeout
   */
  constructor(
    policyName: string,
    timeoutMs: number,
    trigger: 'timeout' | 'deadline' = 'timeout',
    options?: { cause?: unknown },
  ) {
    const what = trigger === 'deadline' ? 'the deadline budget' : 'the time limit';
    super(ErrorCode.OperationTimeout, `Operation timed out after ${timeoutMs} ms (${what} of "${policyName}")`, options);
    this.timeoutMs = timeoutMs;
    this.policyName = policyName;
    this.trigger = trigger;
  }

  override get name(): string {
    return 'OperationTimeoutError';
  }
}

/**
 * A policy refused to run the function at all (the circuit is open, a queue is full, a limit is
 * reached). Middleware maps the whole family: the caller may try again after `retryAfterMs`.
 */
export class RejectedError extends BulwarkError {
  /** Name of the policy instance that refused the call. */
  readonly policyName: string;
  /**
   * How long to wait before trying again, in ms; `Infinity` when no time is known (e.g. an
   * isolated circuit). A Retry around the policy waits this long (capped by its `maxDelayMs`).
   */
  readonly retryAfterMs: number;

  /**
   * @param code - stable error code
   * @param message - human-readable description
   * @param policyName - the policy that refused
   * @param retryAfterMs - when to try again, in ms from now
   */
  constructor(code: string, message: string, policyName: string, retryAfterMs: number) {
    super(code, message);
    this.policyName = policyName;
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

/** The states a {@link CircuitOpenError} can be raised in. */
export type RejectingCircuitState = 'open' | 'half-open' | 'isolated';

/**
 * A circuit breaker refused the call: it is open (or isolated), or half-open with every probe
 * slot taken.
 *
 * Breakers raise it without capturing a stack trace unless their `captureRejectionStacks` option
 * is set: an open breaker may reject thousands of calls a second, and a stack costs microseconds
 * each.
 */
export class CircuitOpenError extends RejectedError {
  /** The state the breaker was in when it refused. */
  readonly state: RejectingCircuitState;

  /**
   * @param policyName - name of the breaker
   * @param state - its state when it refused
   * @param retryAfterMs - ms until it admits a probe, or `Infinity` when isolated
   */
  constructor(policyName: string, state: RejectingCircuitState, retryAfterMs: number) {
    super(ErrorCode.CircuitOpen, circuitOpenMessage(policyName, state), policyName, retryAfterMs);
    this.state = state;
  }

  override get name(): string {
    return 'CircuitOpenError';
  }
}

/** The message of a {@link CircuitOpenError}. @internal */
export function circuitOpenMessage(policyName: string, state: RejectingCircuitState): string {
  return `Circuit "${policyName}" is ${state}: the call was not made`;
}

/**
 * The message and fixed `stack` of a rejection raised by {@link stacklessRejection}; computed once
 * per policy and reason, not per call.
 * @internal
 */
export function rejectionText(errorName: string, message: string): { message: string; stack: string } {
  return {
    message,
    stack: `${errorName}: ${message}\n    (no stack trace: set captureRejectionStacks on the policy to capture one)`,
  };
}

/**
 * Makes an error of a {@link RejectedError} class without running the `Error` constructor, so
 * that no stack is captured: about 15 ns instead of about 3 µs, which matters for policies that
 * reject thousands of calls a second. `instanceof`, `code`, `name`, `message` and the fields are
 * as usual; `stack` is the given fixed text.
 * @param errorClass - the class whose prototype the error gets
 * @param fields - every own field, `message` and `stack` included
 * @internal
 */
export function stacklessRejection<E extends RejectedError>(
  errorClass: abstract new (...args: never[]) => E,
  fields: { readonly [K in keyof E as E[K] extends (...args: never[]) => unknown ? never : K]?: E[K] } & {
    readonly message: string;
    readonly stack: string;
  },
): E {
  return Object.assign(Object.create(errorClass.prototype) as E, fields);
}

/** Why a {@link BulkheadRejectedError} was raised. */
export type BulkheadRejectionReason = 'queue-full' | 'queue-timeout';

/**
 * A bulkhead refused the call: every slot was busy and the queue full (`queue-full`), or the call
 * waited in the queue past `queueTimeoutMs` or its deadline (`queue-timeout`).
 */
export class BulkheadRejectedError extends RejectedError {
  /** Why the call was refused. */
  readonly reason: BulkheadRejectionReason;

  /**
   * @param policyName - name of the bulkhead
   * @param reason - `queue-full` or `queue-timeout`
   * @param retryAfterMs - hint for when to try again, in ms
   */
  constructor(policyName: string, reason: BulkheadRejectionReason, retryAfterMs = 0) {
    super(ErrorCode.BulkheadRejected, bulkheadRejectedMessage(policyName, reason), policyName, retryAfterMs);
    this.reason = reason;
  }

  override get name(): string {
    return 'BulkheadRejectedError';
  }
}


/** The message of a {@link BulkheadRejectedError}. @internal */
export function bulkheadRejectedMessage(policyName: string, reason: BulkheadRejectionReason): string {
  const what = reason === 'queue-full' ? 'all slots busy and the queue full' : 'waited too long in the queue';
  return `Bulkhead "${policyName}" rejected the call: ${what}`;
}

/** A load shedder dropped the call to protect the process. */
export class LoadShedError extends RejectedError {
  /** The load level when the call was shed. */
  readonly loadLevel: LoadLevel;

  /**
   * @param policyName - name of the load shedder
   * @param loadLevel - the load level that shed the call
   * @param retryAfterMs - hint for when to try again, in ms
   */
  constructor(policyName: string, loadLevel: LoadLevel, retryAfterMs: number) {
    super(ErrorCode.LoadShed, `Load shedder "${policyName}" shed the call (load ${loadLevel})`, policyName, retryAfterMs);
    this.loadLevel = loadLevel;
  }

  override get name(): string {
    return 'LoadShedError';
  }
}

/** A call waited for paused backpressure to resume for longer than `timeoutMs` (or its deadline). */
export class BackpressureTimeoutError extends RejectedError {
  /** How long it waited, in ms. */
  readonly timeoutMs: number;

  /**
   * @param policyName - name of the backpressure instance
   * @param timeoutMs - how long the call waited, in ms
   */
  constructor(policyName: string, timeoutMs: number) {
    super(
      ErrorCode.BackpressureTimeout,
      `Backpressure "${policyName}" stayed paused for ${timeoutMs} ms: the call was not made`,
      policyName,
      0,
    );
    this.timeoutMs = timeoutMs;
  }

  override get name(): string {
    return 'BackpressureTimeoutError';
  }
}

/** The message of a {@link ConcurrencyLimitError}. @internal */
export function concurrencyLimitMessage(policyName: string, limit: number): string {
  return `Concurrency limiter "${policyName}" is at its limit of ${limit}`;
}

/** An adaptive concurrency limiter was at its limit (and the call could not wait, or waited too long). */
export class ConcurrencyLimitError extends RejectedError {
  /** The limit when the call was refused. */
  readonly limit: number;

  /**
   * @param policyName - name of the limiter
   * @param limit - its current limit
   * @param retryAfterMs - hint for when to try again, in ms
   */
  constructor(policyName: string, limit: number, retryAfterMs = 0) {
    super(ErrorCode.ConcurrencyLimit, concurrencyLimitMessage(policyName, limit), policyName, retryAfterMs);
    this.limit = limit;
  }

  override get name(): string {
    return 'ConcurrencyLimitError';
  }
}

/** The message of a {@link RateLimitError}. @internal */
export function rateLimitMessage(policyName: string, limit: number): string {
  return `Rate limiter "${policyName}" allows ${limit} per window: the call was not made`;
}

/** A rate limiter refused the call: its window (or one of its windows) has no room left. */
export class RateLimitError extends RejectedError {
  /** The limit of the window that refused the call. */
  readonly limit: number;
  /** What is left in that window: always 0. */
  readonly remaining: 0;

  /**
   * @param policyName - name of the rate limiter
   * @param limit - the limit of the window that refused
   * @param retryAfterMs - ms until the call would be admitted
   */
  constructor(policyName: string, limit: number, retryAfterMs: number) {
    super(ErrorCode.RateLimited, rateLimitMessage(policyName, limit), policyName, retryAfterMs);
    this.limit = limit;
    this.remaining = 0;
  }

  override get name(): string {
    return 'RateLimitError';
  }
}
