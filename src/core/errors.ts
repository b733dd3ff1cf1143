/**
 * Errors raised by bulwark itself. Every rejection that the library produces (rather than
 * passes through from your function) is a {@link BulwarkError} with a stable `code`.
 *
 * Every code is listed in docs/errors.md.
 * @module
 */

/** Brand shared by every copy of bulwark loaded in a process, so that checks survive duplicates. */
const BULWARK_ERROR = Symbol.for('bulwark.error');

/** The stable codes carried by {@link BulwarkError.code}. */
export const ErrorCode = {
  /** A pattern was constructed with invalid options: {@link ConfigError}. */
  ConfigInvalid: 'CONFIG_INVALID',
  /** A Timeout's own deadline fired before the operation settled: {@link OperationTimeoutError}. */
  OperationTimeout: 'OPERATION_TIMEOUT',
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
    Object.defineProperty(this, BULWARK_ERROR, { value: true });
  }

  /** Explicit name (not `constructor.name`, which minifiers mangle). */
  override get name(): string {
    return 'BulwarkError';
  }
}

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
