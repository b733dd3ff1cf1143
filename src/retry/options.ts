/**
 * Options of a {@link Retry}: schema, defaults and resolved form.
 * @module
 */
import { z } from 'zod';
import {
  commonOptionsShape,
  durationMs,
  functionSchema,
  positiveInt,
  type CommonOptions,
  type CrossFieldCheck,
} from '../core/config';
import { isRejectedError, type ConfigIssue } from '../core/errors';
import type { ErrorClass } from '../core/exceptions';
import type { BackoffFunction, BackoffKind, Jitter } from './backoff';
import { RetryBudget, retryBudgetOptionsSchema, type RetryBudgetOptions } from './budget';

/** Backoff parameters given as one object instead of top-level options. */
export interface BackoffOptions {
  /** How the delay grows. @defaultValue `'exponential'` */
  type?: BackoffKind;
  /** Delay before the first retry, in ms. @defaultValue 100 */
  initialDelayMs?: number;
  /** Growth factor of `exponential`. @defaultValue 2 */
  multiplier?: number;
  /** Cap on any delay, in ms, including `retryAfterMs` hints. @defaultValue 30000 */
  maxDelayMs?: number;
  /** Randomisation. @defaultValue `'full'` */
  jitter?: Jitter;
}

/** Options of a {@link Retry}. */
export interface RetryOptions extends CommonOptions {
  /** Total tries, the first included; 1 never retries. @defaultValue 3 */
  maxAttempts?: number;
  /**
   * How delays grow: a kind (`'constant'`, `'linear'`, `'exponential'`), the same as an object
   * with its parameters, or a function `(attempt, error) => ms`. @defaultValue `'exponential'`
   */
  backoff?: BackoffKind | BackoffOptions | BackoffFunction;
  /** Delay before the first retry, in ms. @defaultValue 100 */
  initialDelayMs?: number;
  /** Growth factor of `exponential` backoff. @defaultValue 2 */
  multiplier?: number;
  /** Cap on any delay, in ms, including `retryAfterMs` hints. @defaultValue 30000 */
  maxDelayMs?: number;
  /** Randomisation of the delays, see {@link Jitter}. @defaultValue `'full'` */
  jitter?: Jitter;
  /**
   * Retries a call whose result this returns true for (e.g. an HTTP 503 response); when tries run
   * out, the caller receives the last result.
   */
  retryOnResult?: (result: unknown) => boolean;
  /**
   * Caps retries at a fraction of the calls, so that retries cannot multiply the load on a failing
   * dependency; a {@link RetryBudget} instance shares one budget between several Retry policies.
   */
  budget?: RetryBudgetOptions | RetryBudget;
  /**
   * Retries refusals of inner bulwark policies too ({@link isRejectedError}: an open circuit, a
   * full bulkhead, a rate limit…), waiting their `retryAfterMs` (capped by `maxDelayMs`, and
   * within the deadline). Off by default: a refusal ends the call at once, unchanged, because
   * waiting out an open circuit's recovery timeout is rarely what the caller wants. When on,
   * refusals still pass through `exceptions.handle` / `ignore` like any error. Listing a refusal
   * class in `exceptions.handle` without it is a {@link ConfigError}.
   * @defaultValue false
   */
  retryRejections?: boolean;
  /** Random source in [0, 1) for jitter, for tests. @defaultValue `Math.random` */
  random?: () => number;
}

/** Defaults of {@link RetryOptions}. */
export const RETRY_DEFAULTS = {
  /** Total tries, the first included. */
  maxAttempts: 3,
  /** Delays grow exponentially. */
  backoff: 'exponential',
  /** Delay before the first retry, in ms. */
  initialDelayMs: 100,
  /** Growth factor of exponential backoff. */
  multiplier: 2,
  /** Cap on any delay, in ms. */
  maxDelayMs: 30_000,
  /** Full jitter: uniform in [0, delay]. */
  jitter: 'full',
  /** Refusals of inner policies are not retried. */
  retryRejections: false,
} as const;

const backoffKind = z.enum(['constant', 'linear', 'exponential']);
const jitter = z.enum(['full', 'equal', 'decorrelated', 'none']);
const multiplier = z.number().finite().min(1, { message: 'must be ≥ 1' });
const backoffFields = ['initialDelayMs', 'multiplier', 'maxDelayMs', 'jitter'] as const;

/** Schema of {@link RetryOptions}. */
export const retryOptionsSchema = z.strictObject({
  ...commonOptionsShape,
  maxAttempts: positiveInt.optional(),
  backoff: z
    .union([
      backoffKind,
      functionSchema<BackoffFunction>(),
      z.strictObject({
        type: backoffKind.optional(),
        initialDelayMs: durationMs.optional(),
        multiplier: multiplier.optional(),
        maxDelayMs: durationMs.optional(),
        jitter: jitter.optional(),
      }),
    ])
    .optional(),
  initialDelayMs: durationMs.optional(),
  multiplier: multiplier.optional(),
  maxDelayMs: durationMs.optional(),
  jitter: jitter.optional(),
  retryOnResult: functionSchema<(result: unknown) => boolean>().optional(),
  budget: z
    .union([z.instanceof(RetryBudget), retryBudgetOptionsSchema])
    .optional(),
  retryRejections: z.boolean().optional(),
  random: functionSchema<() => number>().optional(),
});

/**
 * Cross-field rules of {@link RetryOptions}: backoff parameters are given at the top level or in
 * the `backoff` object, not both; a refusal class in `exceptions.handle` needs `retryRejections`.
 */
export const retryCrossCheck: CrossFieldCheck = (options) => [...backoffConflicts(options), ...unretriedRefusalClasses(options)];

function backoffConflicts(options: Readonly<Record<string, unknown>>): ConfigIssue[] {
  const backoff = options['backoff'];
  if (typeof backoff !== 'object' || backoff === null) return [];
  return backoffFields
    .filter((field) => options[field] !== undefined && (backoff as Record<string, unknown>)[field] !== undefined)
    .map((field) => ({ path: field, message: 'is set both here and in backoff; set it once' }));
}

/**
 * Refusal classes (CircuitOpenError, RateLimitError…) listed in `exceptions.handle` while
 * `retryRejections` is off: the list says "retry these", the default says "never retry a
 * refusal", so the Retry refuses to guess.
 */
function unretriedRefusalClasses(options: Readonly<Record<string, unknown>>): ConfigIssue[] {
  if (options['retryRejections'] === true) return [];
  const handle = (options['exceptions'] as { handle?: unknown } | undefined)?.handle;
  if (!Array.isArray(handle)) return [];
  return handle
    .filter((errorClass): errorClass is ErrorClass => typeof errorClass === 'function' && isRejectedError(errorClass.prototype))
    .map((errorClass) => ({
      path: 'exceptions.handle',
      message: `lists ${errorClass.name}, a refusal by an inner policy, which a Retry retries only with retryRejections: true`,
    }));
}
