/**
 * Logging. bulwark is silent until you call {@link setLogger}; it then logs through any object of
 * pino's shape (a pino logger, a pino child logger, or your own adapter).
 * @module
 */
import { inspect } from 'node:util';
import { processWide } from './process-wide';
import { isPromiseLike } from './promise-like';

/** One logging method of pino's shape: a merge object first, then an optional message. */
export type LogMethod = (object: object, message?: string) => void;

/** The logger bulwark writes to: the subset of pino's `Logger` that it uses. */
export interface Logger {
  /** Something failed that bulwark could not hand to the caller (e.g. a listener threw). */
  error: LogMethod;
  /** Something unexpected that the caller's outcome did not show. */
  warn: LogMethod;
  /** Noteworthy, rare events. */
  info: LogMethod;
  /** Detail for troubleshooting. */
  debug: LogMethod;
}

const noop: LogMethod = () => {};

/** The default logger: every method is a no-op. */
export const silentLogger: Logger = Object.freeze({ error: noop, warn: noop, info: noop, debug: noop });

/** The logger in use, and whether one was set, shared by every copy of bulwark in the process. */
const current = processWide('logger', () => ({ logger: silentLogger as Logger, set: false }));

/**
 * Sets the process-wide logger used by every bulwark instance; call with no argument to silence
 * bulwark again.
 *
 * bulwark logs on paths where a call's outcome is already decided (a listener threw, a store
 * failed), so a logger that throws, or whose method returns a promise that rejects, must not
 * change it: such an error is dropped, and the first one of each logger set here is reported once
 * as a process warning (code `BULWARK_LOGGER_FAILED`). Methods are looked up on `logger` at each
 * call, so a pino logger whose level changes later is followed.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * setLogger(pino({ name: 'bulwark' }));
 * ```
 */
export function setLogger(logger?: Logger): void {
  const silent = logger === undefined || logger === silentLogger;
  current.logger = silent ? silentLogger : containErrors(logger);
  current.set = !silent;
}

/**
 * Whether a logger was set with {@link setLogger}. When none is, what bulwark must never keep
 * silent becomes a process warning instead of a log line (see {@link logOrWarn}). Read from the
 * process-wide state, so that it holds whichever copy of bulwark set the logger.
 */
function isLoggerSet(): boolean {
  return current.set === true;
}

/**
 * The logger bulwark writes to: the one set by {@link setLogger} behind a guard that keeps its
 * errors from reaching bulwark's callers (so not the same object), or {@link silentLogger}.
 */
export function getLogger(): Logger {
  return current.logger;
}

/**
 * Something bulwark must never keep silent (a store or sink failing, a request answered 500 by
 * the library): a log line through the logger of {@link setLogger}, or, when none is set, a Node
 * process warning of type `BulwarkWarning` (listed in docs/errors.md).
 * @internal
 */
export interface Notice {
  /** The log level. */
  readonly level: 'error' | 'warn';
  /** The log line's merge object. */
  readonly fields: object;
  /** The log line's message. */
  readonly message: string;
  /** The warning's code, e.g. `BULWARK_STORE_FAILED`. */
  readonly code: string;
  /** The warning's text, when it must say more than `message` (a warning has no merge object). */
  readonly warning?: string;
}

/** Logs `notice`, or emits it as a process warning when no logger is set; see {@link Notice}. @internal */
export function logOrWarn(notice: Notice): void {
  if (isLoggerSet()) {
    getLogger()[notice.level](notice.fields, notice.message);
    return;
  }
  process.emitWarning(notice.warning ?? notice.message, {
    type: 'BulwarkWarning',
    code: notice.code,
    detail: 'Set a logger with setLogger() to get this as a log line instead.',
  });
}

/** An error's message, or anything else thrown as one line, for a warning's text. @internal */
export function causeText(error: unknown): string {
  return error instanceof Error ? error.message : inspect(error, { depth: 0, breakLength: Infinity });
}

/** A logger that forwards to `logger` and never throws (see {@link setLogger}). */
function containErrors(logger: Logger): Logger {
  let warned = false;
  const onError = (error: unknown): void => {
    if (warned) return;
    warned = true;
    process.emitWarning(`bulwark: the logger set with setLogger failed, and bulwark ignores its errors: ${String(error)}`, {
      code: 'BULWARK_LOGGER_FAILED',
    });
  };
  const method =
    (level: keyof Logger): LogMethod =>
    (object, message) => {
      try {
        const result: unknown = message === undefined ? logger[level](object) : logger[level](object, message);
        if (isPromiseLike(result)) result.then(undefined, onError);
      } catch (error) {
        onError(error);
      }
    };
  return Object.freeze({ error: method('error'), warn: method('warn'), info: method('info'), debug: method('debug') });
}
