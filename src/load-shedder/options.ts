/**
 * Options of a {@link LoadShedder}: schema, defaults and cross-field checks.
 * @module
 */
import { z } from 'zod';
import {
  commonOptionsShape,
  durationMs,
  objectWithMethods,
  positiveDurationMs,
  positiveInt,
  type CommonOptions,
  type CrossFieldCheck,
} from '../core/config';
import type { ConfigIssue } from '../core/errors';
import type { LoadSignalSource } from './load-signals';

/**
 * Per-priority admission thresholds, each a fraction (0, 1] of the load at which calls of that
 * priority are shed: a call is admitted while the load is below its priority's threshold. The
 * load is the larger of the occupancy (`(inFlight + queued) / (maxInFlight + maxQueue)`) and the
 * signal pressure (each configured signal over its maximum). Must not decrease from `low` to
 * `critical`, so that `low` is shed first and `critical` last.
 */
export interface PriorityThresholds {
  /** `low` calls are admitted while the load is below this. @defaultValue 0.5 */
  low?: number;
  /**
   * `normal` calls (the default priority) are admitted while the load is below this: at 1, they
   * may take every slot (and queue place). Lower it to keep room for `high` and `critical` calls.
   * @defaultValue 1
   */
  normal?: number;
  /** `high` calls are admitted while the load is below this. @defaultValue 1 */
  high?: number;
  /** `critical` calls are admitted while the load is below this. @defaultValue 1 */
  critical?: number;
}

/**
 * The Node load signals to watch, each with the value at which its pressure reaches 1 (where,
 * with the default thresholds, even `critical` calls are shed; `low` calls go at half of it).
 * At least one maximum must be set; the signals without one are never measured.
 */
export interface LoadSignalsOptions {
  /** 99th-percentile event-loop delay over a sample window, in ms, at which the pressure is 1. */
  maxEventLoopDelayMs?: number;
  /** Event-loop utilization (0, 1] over a sample window at which the pressure is 1. */
  maxEventLoopUtilization?: number;
  /** V8 heap used over the heap size limit (0, 1] at which the pressure is 1. */
  maxHeapUsedRatio?: number;
  /** How often the signals are sampled, in ms; each delay and utilization sample covers one interval. @defaultValue 500 */
  sampleIntervalMs?: number;
  /** Where the readings come from, for tests or readings of your own. @defaultValue this process, measured by Node */
  source?: LoadSignalSource;
}

/** Options of a {@link LoadShedder}. */
export interface LoadShedderOptions extends CommonOptions {
  /** Calls that may run at once; beyond it, calls queue (room permitting) or are shed. Required. */
  maxInFlight: number;
  /**
   * Calls that may wait for a slot once `maxInFlight` run; 0 sheds instead of queueing. The
   * default, a tenth of `maxInFlight` (rounded up), keeps every slot busy: a slot freed between
   * two arrivals goes to a waiting call at once instead of staying idle until the next one (at
   * `maxInFlight` 20 and twice the load it serves, the difference between 91 % and 97 % of
   * capacity in bench:overload), and a call waits at most a tenth of a call's duration for it
   * while the calls keep their usual duration. @defaultValue `Math.ceil(maxInFlight / 10)`
   */
  maxQueue?: number;
  /**
   * Longest wait in the queue, in ms, after which the call is shed (reason `queueTimeout`); a
   * caller's earlier deadline ends the wait first. @defaultValue none: the wait ends at the
   * deadline, the caller's abort, or a free slot
   */
  maxWaitMs?: number;
  /** When each priority is shed; see {@link PriorityThresholds}. */
  priorityThresholds?: PriorityThresholds;
  /** Node load signals that raise the load level; none by default (admission by occupancy only). */
  signals?: LoadSignalsOptions;
  /** The `retryAfterMs` hint carried by every {@link LoadShedError}, in ms. @defaultValue 1000 */
  retryAfterMs?: number;
  /**
   * Capture a stack trace for each {@link LoadShedError}. Off by default: a shedder rejects most
   * when the process is overloaded, and a stack costs microseconds each. @defaultValue false
   */
  captureRejectionStacks?: boolean;
}

/** Defaults of {@link LoadShedderOptions}. */
export const LOAD_SHEDDER_DEFAULTS = {
  /** `maxQueue` when it is not set: `maxInFlight` divided by this, rounded up. */
  maxQueueDivisor: 10,
  /** Load fractions at which each priority is shed. */
  priorityThresholds: {
    /** `low` calls are shed from half load. */
    low: 0.5,
    /** `normal` calls (the default priority) only when full: `maxInFlight` is theirs to reach. */
    normal: 1,
    /** `high` calls only when full. */
    high: 1,
    /** `critical` calls only when full. */
    critical: 1,
  },
  /** Signal sampling interval, in ms. */
  sampleIntervalMs: 500,
  /** Retry hint of a shed call, in ms. */
  retryAfterMs: 1_000,
} as const;

const threshold = z.number().gt(0, { message: 'must be > 0' }).max(1, { message: 'must be ≤ 1' });

const signalSourceSchema = objectWithMethods<LoadSignalSource>(
  ['eventLoopDelay', 'eventLoopUtilization', 'heapUsedRatio'],
  'expected a LoadSignalSource with eventLoopDelay, eventLoopUtilization and heapUsedRatio',
);

/** Schema of {@link LoadShedderOptions}. */
export const loadShedderOptionsSchema = z.strictObject({
  ...commonOptionsShape,
  maxInFlight: positiveInt,
  maxQueue: z.number().int().min(0, { message: 'must be an integer ≥ 0' }).optional(),
  maxWaitMs: positiveDurationMs.optional(),
  priorityThresholds: z
    .strictObject({
      low: threshold.optional(),
      normal: threshold.optional(),
      high: threshold.optional(),
      critical: threshold.optional(),
    })
    .optional(),
  signals: z
    .strictObject({
      maxEventLoopDelayMs: positiveDurationMs.optional(),
      maxEventLoopUtilization: threshold.optional(),
      maxHeapUsedRatio: threshold.optional(),
      sampleIntervalMs: positiveDurationMs.optional(),
      source: signalSourceSchema.optional(),
    })
    .optional(),
  retryAfterMs: durationMs.optional(),
  captureRejectionStacks: z.boolean().optional(),
});

/** The priorities in the order they are shed, `low` first. */
const SHED_ORDER = ['low', 'normal', 'high', 'critical'] as const;
const SIGNAL_MAXIMA = ['maxEventLoopDelayMs', 'maxEventLoopUtilization', 'maxHeapUsedRatio'] as const;

/**
 * Thresholds must not decrease from `low` to `critical` (defaults filled in); `signals` must
 * configure at least one signal; `maxWaitMs` needs a queue (`maxQueue` not 0).
 */
export const loadShedderCrossCheck: CrossFieldCheck = (options) => {
  const issues: ConfigIssue[] = [];
  const given = options['priorityThresholds'];
  if (typeof given === 'object' && given !== null) {
    const values = SHED_ORDER.map((priority) => {
      const value = (given as Record<string, unknown>)[priority];
      return typeof value === 'number' ? value : LOAD_SHEDDER_DEFAULTS.priorityThresholds[priority];
    });
    if (values.some((value, index) => index > 0 && value < (values[index - 1] as number))) {
      const listed = SHED_ORDER.map((priority, index) => `${priority} ${values[index]}`).join(', ');
      issues.push({
        path: 'priorityThresholds',
        message: `must not decrease from low to critical (defaults filled in), got ${listed}`,
      });
    }
  }
  const signals = options['signals'];
  if (typeof signals === 'object' && signals !== null) {
    if (SIGNAL_MAXIMA.every((field) => (signals as Record<string, unknown>)[field] === undefined)) {
      issues.push({ path: 'signals', message: `sets no signal; set at least one of ${SIGNAL_MAXIMA.join(', ')}` });
    }
  }
  if (options['maxWaitMs'] !== undefined && options['maxQueue'] === 0) {
    issues.push({ path: 'maxWaitMs', message: 'applies only with a queue; maxQueue is 0' });
  }
  return issues;
};
