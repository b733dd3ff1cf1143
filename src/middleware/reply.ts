/**
 * The responses the guard sends itself: RFC 9457 problem details for refusals, with nothing of
 * the library's internals in them (no policy names, no messages of causes, no stack).
 * @module
 */
import { ErrorCode, type RejectedError } from '../core/errors';

/** A response the guard (or an `onRejected` option) sends instead of running the handler. */
export interface GuardReply {
  /** The status code, e.g. 429. */
  readonly status: number;
  /** Response headers; the guard's `Retry-After` and rate-limit headers are set before these. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The body: a string is sent as is, anything else as JSON. @defaultValue no body */
  readonly body?: unknown;
}

/** An RFC 9457 problem details object, as the guard's refusals carry it. */
export interface ProblemDetails {
  /** A URI naming the problem: `urn:bulwark:error:<code in kebab case>`. */
  readonly type: string;
  /** The status's reason phrase, e.g. `Too Many Requests`. */
  readonly title: string;
  /** The status code. */
  readonly status: number;
  /** A sentence for the client, the same for every refusal of one kind. */
  readonly detail: string;
  /** The bulwark error code, e.g. `RATE_LIMITED`: see docs/errors.md. */
  readonly code: string;
}

/** The media type of the guard's refusal bodies. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** What a client is told about each refusal: fixed sentences, never the error's own message. */
const DETAILS: Readonly<Record<string, string>> = {
  [ErrorCode.RateLimited]: 'Too many requests: the rate limit is reached.',
  [ErrorCode.LoadShed]: 'The service is overloaded and shed this request.',
  [ErrorCode.CircuitOpen]: 'A dependency of this service is failing; the request was not attempted.',
  [ErrorCode.BulkheadRejected]: 'The service is at capacity.',
  [ErrorCode.ConcurrencyLimit]: 'The service is at its concurrency limit.',
  [ErrorCode.BackpressureTimeout]: 'The service is under backpressure.',
};

/** The status of a refusal: 429 for a rate limit, 503 for the rest. */
export function refusalStatus(error: RejectedError): number {
  return error.code === ErrorCode.RateLimited ? 429 : 503;
}

/**
 * `Retry-After` in whole seconds, rounded up (a client told 0 when 400 ms remain would retry too
 * early); undefined when no time is known (`Infinity`) or none is needed.
 */
export function retryAfterSeconds(retryAfterMs: number): string | undefined {
  if (!(retryAfterMs > 0) || !Number.isFinite(retryAfterMs)) return undefined;
  return String(Math.ceil(retryAfterMs / 1000));
}

/** The problem details body of a refusal. */
export function problemOf(error: RejectedError, status: number): ProblemDetails {
  const code = error.code;
  return {
    type: `urn:bulwark:error:${code.toLowerCase().replaceAll('_', '-')}`,
    title: status === 429 ? 'Too Many Requests' : 'Service Unavailable',
    status,
    detail: DETAILS[code] ?? 'The request was refused.',
    code,
  };
}

/** The body of a 500 the guard sends when one of its own options throws (its error is logged, not sent). */
export const INTERNAL_PROBLEM: ProblemDetails = Object.freeze({
  type: 'about:blank',
  title: 'Internal Server Error',
  status: 500,
  detail: 'The request could not be handled.',
  code: 'INTERNAL',
});

/** The text of a reply body: strings unchanged, anything else JSON. */
export function bodyText(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}
