/**
 * bulwark's metric set as a registry a metrics sink can track: what `sink.trackBulwark()` (the
 * Redis and SQLite sinks) reads at each flush, shaped as prom-client's `getMetricsAsJSON()`.
 * @module
 * @internal
 */
import type { Registry } from '../core/registry';
import { METRIC_SET, type MetricDefinition } from './metric-set';
import { MetricRecorder } from './recorder';
import { metricSamples, type Sample } from './samples';

/** Options of {@link bulwarkMetricsSource}. */
export interface BulwarkMetricsSourceOptions {
  /** Whose live instances the gauges and stats-read counters come from. */
  readonly bulwarkRegistry: Registry;
  /** Records `bulwark_call_duration_seconds` too. */
  readonly callDurations: boolean;
}

/** One metric as prom-client's `getMetricsAsJSON()` gives it. */
interface MetricJson {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly values: Sample[];
}

/** A live source of the metric set: read it with `getMetricsAsJSON()`, end it with `dispose()`. */
export interface BulwarkMetricsSource extends Disposable {
  /** Every metric of the set with its samples now. */
  getMetricsAsJSON(): Promise<readonly MetricJson[]>;
  /** A metric's label names and bucket bounds, by name. */
  getSingleMetric(name: string): { labelNames: readonly string[]; upperBounds: readonly number[] | undefined } | undefined;
  /** Each gauge's multiprocess mode, by name. */
  readonly gaugeModes: Readonly<Record<string, NonNullable<MetricDefinition['multiprocessMode']>>>;
  /** Stops recording events. Idempotent. */
  dispose(): void;
}

/**
 * Starts recording bulwark's bus events (a {@link MetricRecorder}) and returns a source a sink
 * tracks like a prom-client registry.
 */
export function bulwarkMetricsSource(options: BulwarkMetricsSourceOptions): BulwarkMetricsSource {
  const recorder = new MetricRecorder({ callDurations: options.callDurations });
  const byName = new Map(METRIC_SET.map((metric) => [metric.name, metric]));
  const gaugeModes: Record<string, NonNullable<MetricDefinition['multiprocessMode']>> = {};
  for (const metric of METRIC_SET) if (metric.multiprocessMode !== undefined) gaugeModes[metric.name] = metric.multiprocessMode;
  const dispose = (): void => recorder.dispose();
  return {
    gaugeModes,
    async getMetricsAsJSON() {
      return Promise.all(
        METRIC_SET.map(async (metric) => ({
          name: metric.name,
          help: metric.help,
          type: metric.type,
          values: await metricSamples(metric, recorder, options.bulwarkRegistry),
        })),
      );
    },
    getSingleMetric(name) {
      const metric = byName.get(name);
      return metric === undefined ? undefined : { labelNames: metric.labelNames, upperBounds: metric.buckets };
    },
    dispose,
    [Symbol.dispose]: dispose,
  };
}
