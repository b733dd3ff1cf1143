/**
 * bulwark's metric set as a registry a metrics sink can track: what `sink.trackBulwark()` (the
 * Redis and SQLite sinks) reads at each flush, shaped as prom-client's `getMetricsAsJSON()`.
 * @module
 * @internal
 */
import { METRIC_SET, type MetricDefinition } from './metric-set';
import type { MetricSetOptions } from './metric-set-options';
import { SampleReader, type Sample } from './samples';

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
 * Starts recording bulwark's bus events (a {@link SampleReader}) and returns a source a sink
 * tracks like a prom-client registry: each read of it reads every live instance's `stats()` once.
 */
export function bulwarkMetricsSource(options: MetricSetOptions): BulwarkMetricsSource {
  const reader = new SampleReader(options);
  const byName = new Map(METRIC_SET.map((metric) => [metric.name, metric]));
  const gaugeModes: Record<string, NonNullable<MetricDefinition['multiprocessMode']>> = {};
  for (const metric of METRIC_SET) if (metric.multiprocessMode !== undefined) gaugeModes[metric.name] = metric.multiprocessMode;
  const dispose = (): void => reader.dispose();
  return {
    gaugeModes,
    async getMetricsAsJSON() {
      return Promise.all(
        METRIC_SET.map(async (metric) => ({
          name: metric.name,
          help: metric.help,
          type: metric.type,
          values: await reader.samples(metric),
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
