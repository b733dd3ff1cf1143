/**
 * Options of a {@link CircuitBreaker}: schema, defaults and cross-field checks.
 * @module
 */
import { z } from 'zod';
import {
  commonOptionsShape,
  functionSchema,
  positiveDurationMs,
  positiveInt,
  type CommonOptions,
  type CrossFieldCheck,
} from '../core/config';
import type { ConfigIssue } from '../core/errors';
import { circuitBreakerSnapshotSchema, type CircuitBreakerSnapshot } from './snapshot';

/** The last `size` calls. */
export interface CountWindowOptions {
  /** Window kind. */
  type: 'count';
  /** How many of the most recent calls the rates are computed over. */
  size: number;
}

/** The calls of the last `durationMs`, aggregated in `buckets` time slices. */
export interface TimeWindowOptions {
  /** Window kind. */
  type: 'time';
  /** How far back the window reaches, in ms. */
  durationMs: number;
  /**
   * Slices the window is aggregated in; a call leaves the window between
   * `durationMs − durationMs / buckets` and `durationMs` after it ended. @defaultValue 10
   */
  buckets?: number;
}

/** How the recovery timeout grows each time a failed probe re-opens the circuit. */
export interface RecoveryBackoffOptions {
  /** Factor applied to the recovery timeout at each re-open (≥ 1). */
  multiplier: number;
  /** Longest recovery timeout, in ms. */
  maxMs: number;
}

/** Options of a {@link CircuitBreaker}. */
export interface CircuitBreakerOptions extends CommonOptions {
  /** Consecutive mode (no `window`): consecutive failures that open the circuit. @defaultValue 5 */
  failureThreshold?: number;
  /** Window mode: the calls that failure and slow-call rates are computed over. */
  window?: CountWindowOptions | TimeWindowOptions;
  /** Window mode: failure rate (0–1] at or above which the circuit opens. @defaultValue 0.5 */
  failureRateThreshold?: number;
  /**
   * Window mode: calls the window must hold before rates are evaluated (capped at a count
   * window's size). @defaultValue 10
   */
  minimumCalls?: number;
  /** Window mode: a call slower than this, in ms, is slow, whether it succeeded or failed. */
  slowCallDurationMs?: number;
  /** Window mode: slow-call rate (0–1] at or above which the circuit opens. @defaultValue 1 */
  slowCallRateThreshold?: number;
  /** How long the circuit stays open before a probe is admitted, in ms. @defaultValue 60000 */
  recoveryTimeoutMs?: number;
  /** Each re-open from half-open waits `multiplier` times longer, up to `maxMs`; reset on close. */
  recoveryBackoff?: RecoveryBackoffOptions;
  /** Probe calls admitted at a time while half-open. @defaultValue 1 */
  halfOpenMaxCalls?: number;
  /** Successful probes that close the circuit. @defaultValue 1 */
  successThreshold?: number;
  /**
   * How long a probe may run before it counts as failed and the circuit re-opens, in ms; its
   * slot is released once, whenever it settles. @defaultValue `recoveryTimeoutMs`
   */
  maxHalfOpenWaitMs?: number;
  /**
   * Move to half-open by a timer when the recovery timeout ends, instead of on the next call.
   * The timer never keeps the process alive. @defaultValue false
   */
  autoHalfOpen?: boolean;
  /** Counts a resolved value as a failure, e.g. an HTTP response with status 503. */
  isFailureResult?: (result: unknown) => boolean;
  /**
   * Capture a stack trace for each {@link CircuitOpenError}. Off by default: rejections are
   * frequent while open and a stack costs microseconds each. @defaultValue false
   */
  captureRejectionStacks?: boolean;
  /**
   * The state to start in, as an earlier breaker's {@link CircuitBreaker.toJSON} returned it: an
   * open circuit restored before its `openUntil` refuses calls until then; one restored after it
   * admits the next call as a probe. No `stateChange` is emitted for it. @defaultValue closed
   */
  initialState?: CircuitBreakerSnapshot | undefined;
}

/** Defaults of {@link CircuitBreakerOptions}. */
export const CIRCUIT_BREAKER_DEFAULTS = {
  /** Consecutive failures that open the circuit (consecutive mode). */
  failureThreshold: 5,
  /** Failure rate that opens the circuit (window mode). */
  failureRateThreshold: 0.5,
  /** Calls before rates are evaluated (window mode). */
  minimumCalls: 10,
  /** Slow-call rate that opens the circuit (window mode). */
  slowCallRateThreshold: 1,
  /** Time open before a probe, in ms. */
  recoveryTimeoutMs: 60_000,
  /** Probes at a time while half-open. */
  halfOpenMaxCalls: 1,
  /** Successful probes that close the circuit. */
  successThreshold: 1,
  /** Time slices of a time window. */
  timeWindowBuckets: 10,
} as const;

const rateThreshold = z.number().gt(0, { message: 'must be > 0' }).max(1, { message: 'must be ≤ 1' });

/** Schema of {@link CircuitBreakerOptions}. */
export const circuitBreakerOptionsSchema = z.strictObject({
  ...commonOptionsShape,
  failureThreshold: positiveInt.optional(),
  window: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('count'), size: positiveInt }),
      z.strictObject({ type: z.literal('time'), durationMs: positiveDurationMs, buckets: positiveInt.optional() }),
    ])
    .optional(),
  failureRateThreshold: rateThreshold.optional(),
  minimumCalls: positiveInt.optional(),
  slowCallDurationMs: positiveDurationMs.optional(),
  slowCallRateThreshold: rateThreshold.optional(),
  recoveryTimeoutMs: positiveDurationMs.optional(),
  recoveryBackoff: z
    .strictObject({ multiplier: z.number().finite().min(1, { message: 'must be ≥ 1' }), maxMs: positiveDurationMs })
    .optional(),
  halfOpenMaxCalls: positiveInt.optional(),
  successThreshold: positiveInt.optional(),
  maxHalfOpenWaitMs: positiveDurationMs.optional(),
  autoHalfOpen: z.boolean().optional(),
  isFailureResult: functionSchema<(result: unknown) => boolean>().optional(),
  captureRejectionStacks: z.boolean().optional(),
  initialState: circuitBreakerSnapshotSchema.optional(),
});

/** {@link CircuitBreakerOptions} as the schema parsed them (defaults not applied). @internal */
export type ResolvedCircuitBreakerOptions = z.output<typeof circuitBreakerOptionsSchema>;

const windowOnly = ['failureRateThreshold', 'minimumCalls', 'slowCallDurationMs', 'slowCallRateThreshold'] as const;

/** Consecutive-mode and window-mode options do not mix. */
export const circuitBreakerCrossCheck: CrossFieldCheck = (options) => [...modeIssues(options), ...backoffIssues(options)];

function modeIssues(options: Readonly<Record<string, unknown>>): ConfigIssue[] {
  if (options['window'] !== undefined) {
    return options['failureThreshold'] === undefined
      ? []
      : [{ path: 'failureThreshold', message: 'applies in consecutive mode only; with a window, set failureRateThreshold' }];
  }
  return windowOnly
    .filter((field) => options[field] !== undefined)
    .map((field) => ({ path: field, message: 'applies in window mode only; set window too' }));
}

/** A backoff cap below the first recovery timeout would make re-opens wait less, not more. */
function backoffIssues(options: Readonly<Record<string, unknown>>): ConfigIssue[] {
  const maxMs = (options['recoveryBackoff'] as { maxMs?: unknown } | undefined)?.maxMs;
  const recoveryTimeoutMs = options['recoveryTimeoutMs'] ?? CIRCUIT_BREAKER_DEFAULTS.recoveryTimeoutMs;
  if (typeof maxMs !== 'number' || typeof recoveryTimeoutMs !== 'number' || maxMs >= recoveryTimeoutMs) return [];
  return [{ path: 'recoveryBackoff.maxMs', message: `must be ≥ recoveryTimeoutMs (${recoveryTimeoutMs}), got ${maxMs}` }];
}
