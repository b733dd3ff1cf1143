/**
 * Options every metrics sink accepts (Redis or SQLite): types, defaults and schema.
 * @module
 */
import { z } from 'zod';
import { positiveInt, timerDelayMs } from '../../core/config';

/** Options every metrics sink accepts. */
export interface MetricsSinkOptions {
  /** How often the buffered increments are written, in ms. @defaultValue 1000 */
  flushIntervalMs?: number;
  /**
   * How long a metric stays stored after its last write, in ms; every write refreshes the whole
   * metric (all its series and suffixes expire together).
   * @defaultValue 3_600_000 (one hour)
   */
  ttlMs?: number;
  /**
   * This process's `instance` label on its gauges (the `all` and `liveall` modes print it).
   * @defaultValue `<hostname>:<pid>`
   */
  instanceId?: string;
  /**
   * Most series waiting to be written at once; past it, new series' values are dropped and
   * counted in `stats().dropped` (series already waiting keep adding up).
   * @defaultValue 100_000
   */
  maxBuffered?: number;
  /** Longest wait for one flush's write, in ms. @defaultValue 2000 */
  timeoutMs?: number;
}

/** Defaults of {@link MetricsSinkOptions}. */
export const METRICS_SINK_DEFAULTS = {
  /** How often the buffered increments are written, in ms. */
  flushIntervalMs: 1_000,
  /** How long a metric stays stored after its last write, in ms. */
  ttlMs: 3_600_000,
  /** Most series waiting to be written at once. */
  maxBuffered: 100_000,
  /** Longest wait for one flush's write, in ms. */
  timeoutMs: 2_000,
  /** How recently an instance must have written for the `live` modes, in ms. */
  livenessMs: 10_000,
} as const;


/** Schema of {@link MetricsSinkOptions}. */
export const metricsSinkShape = {
  flushIntervalMs: timerDelayMs.optional(),
  ttlMs: timerDelayMs.optional(),
  instanceId: z.string().min(1, { message: 'must not be empty' }).optional(),
  maxBuffered: positiveInt.optional(),
  timeoutMs: timerDelayMs.optional(),
};

