/**
 * Logging. bulwark is silent until you call {@link setLogger}; it then logs through any object of
 * pino's shape (a pino logger, a pino child logger, or your own adapter).
 * @module
 */
import { processWide } from './process-wide';

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

/** The logger in use, shared by every copy of bulwark in the process. */
const current = processWide('logger', () => ({ logger: silentLogger as Logger }));

/**
 * Sets the process-wide logger used by every bulwark instance; call with no argument to silence
 * bulwark again.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * setLogger(pino({ name: 'bulwark' }));
 * ```
 */
export function setLogger(logger?: Logger): void {
  current.logger = logger ?? silentLogger;
}

/** The logger set by {@link setLogger}, or {@link silentLogger}. */
export function getLogger(): Logger {
  return current.logger;
}
