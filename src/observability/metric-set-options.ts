/**
 * The options every exporter of the metric set takes (`registerMetrics`, `registerOtelMetrics`, a
 * sink's `trackBulwark`), with their schema.
 * @module
 */
import { z } from 'zod';
import { Registry } from '../core/registry';

/**
 * What every exporter of bulwark's metric set reads and records: `registerMetrics`
 * (`bulwark/prometheus`), `registerOtelMetrics` (`bulwark/otel`) and a metrics sink's
 * `trackBulwark` (`bulwark/redis`, `bulwark/sqlite`) take these options.
 */
export interface MetricSetOptions {
  /**
   * The bulwark registry whose live instances are read when the metrics are collected (a
   * Prometheus scrape, an OpenTelemetry collection, a sink's flush): the gauges, and the counters
   * a pattern keeps in its `stats()` (a circuit breaker's calls and refusals, a rate limiter's
   * decisions). Each instance's `stats()` is read once per collection.
   * @defaultValue `defaultRegistry`
   */
  bulwarkRegistry?: Registry | undefined;
  /**
   * Records `bulwark_call_duration_seconds` (circuit breaker call durations). Off by default: it
   * makes every breaker call read the clock twice and emit an event, which costs more than the
   * breaker itself; the call counts need no such work (they are read from the breakers' `stats()`).
   * @defaultValue false
   */
  callDurations?: boolean | undefined;
}

/** The fields of {@link MetricSetOptions}, to spread into an exporter's strict options schema. */
export const metricSetOptionsShape = {
  bulwarkRegistry: z.instanceof(Registry, { message: 'expected a bulwark Registry' }).optional(),
  callDurations: z.boolean().optional(),
};
