/**
 * How the middleware reports an error that it answers with a 500 (a throwing option, a throwing
 * node:http handler): to the logger, or as a process warning when no logger is set, so that it is
 * never silent. The client is told nothing of it.
 * @module
 * @internal
 */
import { logOrWarn } from '../core/logger';
import { INTERNAL_PROBLEM, PROBLEM_CONTENT_TYPE } from './reply';

/** The headers and body of the guard's 500. */
export const INTERNAL_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'Content-Type': PROBLEM_CONTENT_TYPE });
export const INTERNAL_BODY = JSON.stringify(INTERNAL_PROBLEM);

/** Reports `error`, which the request's 500 does not show. */
export function reportError(error: unknown, what: string): void {
  const message = `bulwark: ${what}; the request was answered 500`;
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  logOrWarn({ level: 'error', fields: { err: error }, message, code: 'BULWARK_MIDDLEWARE_ERROR', warning: `${message}: ${text}` });
}
