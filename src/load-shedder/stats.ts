/**
 * What {@link LoadShedder.stats} returns.
 * @module
 */
import type { Priority } from '../core/context';
import type { LoadLevel } from './load-level';
import type { ShedReason } from './load-shed-error';

/** The latest sample of each Node load signal; `null` for a signal not configured or not yet sampled. */
export interface LoadSignalReadings {
  /** 99th-percentile event-loop delay over the last sample window, in ms. */
  readonly eventLoopDelayMs: number | null;
  /** Event-loop utilization over the last sample window, 0–1. */
  readonly eventLoopUtilization: number | null;
  /** V8 heap used over the heap size limit at the last sample, 0–1. */
  readonly heapUsedRatio: number | null;
}

/** State and counters of a {@link LoadShedder}; plain data, safe to serialise. */
export interface LoadShedderStats {
  /** The current load level. */
  readonly loadLevel: LoadLevel;
  /** Calls running now. */
  readonly inFlight: number;
  /** Calls waiting for a slot now. */
  readonly queued: number;
  /** The configured `maxInFlight`. */
  readonly maxInFlight: number;
  /** The configured `maxQueue`. */
  readonly maxQueue: number;
  /** `(inFlight + queued) / (maxInFlight + maxQueue)`, 0–1. */
  readonly occupancy: number;
  /** The highest configured signal over its maximum at the last sample; 0 with no signals. */
  readonly signalPressure: number;
  /** The latest signal samples. */
  readonly signals: LoadSignalReadings;
  /** Calls that started running since creation, whether at once or after waiting. */
  readonly admitted: number;
  /** Calls that had to wait in the queue since creation. */
  readonly queuedTotal: number;
  /** Queued calls that left the queue because their caller (or an enclosing policy) aborted. */
  readonly abandoned: number;
  /** Calls shed (refused with {@link LoadShedError}) since creation. */
  readonly rejected: number;
  /** Calls shed since creation, by priority; they add up to `rejected`. */
  readonly rejectedByPriority: Readonly<Record<Priority, number>>;
  /** Calls shed since creation, by reason (see {@link ShedReason}); they add up to `rejected`. */
  readonly rejectedByReason: Readonly<Record<ShedReason, number>>;
}
