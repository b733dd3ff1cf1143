/**
 * Mirrors a user's prom-client registries into a sink: at each flush, every metric's values are
 * read through prom-client's public `getMetricsAsJSON()`, and what changed since the last flush
 * goes into the buffer (deltas for counters, histograms and summaries; the last value of gauges).
 * Nothing is hooked into prom-client's metrics, so a tracked `inc()` costs what prom-client's own
 * costs.
 * @module
 * @internal
 */
import type { MetricBuffer, PendingMetric } from './buffer';
import { bucketJson, Field, GAUGE_MODES, labelsJson, type GaugeMode, type MetricSpec } from './model';

/** One value of a metric as prom-client's `getMetricsAsJSON()` gives it. */
interface PromMetricValue {
  value: number;
  labels: Readonly<Record<string, string | number | undefined>>;
  /** A histogram's and summary's own sample name (`name_bucket`, `name_sum`, …). */
  metricName?: string;
  /** prom-client's labels shared by a histogram's buckets. */
  sharedLabels?: Readonly<Record<string, string | number | undefined>>;
}

/** One metric as prom-client's `getMetricsAsJSON()` gives it. */
interface PromMetricJson {
  name: string;
  help: string;
  type: string;
  values: readonly PromMetricValue[];
  aggregator?: string;
}

/**
 * The part of a prom-client 15 `Registry` a sink reads (typed loosely, so that bulwark's types
 * never need prom-client's).
 */
export interface PromRegistryLike {
  /** Every metric with its values: `{ name, help, type, values, aggregator }`. */
  getMetricsAsJSON(): Promise<readonly object[]>;
  /** The metric object registered under `name` (its `labelNames`, `upperBounds`, `aggregator` are read). */
  getSingleMetric(name: string): unknown;
}

/** Options of `track`. */
export interface TrackOptions {
  /**
   * The multiprocess mode of each gauge, by metric name. A gauge not listed takes its prom-client
   * `aggregator` when that is `sum`, `max` or `min`, else `sum`.
   */
  gaugeModes?: Readonly<Record<string, GaugeMode>>;
}

interface PromMetricShape {
  labelNames?: readonly string[];
  upperBounds?: readonly number[];
  aggregator?: string;
}

const AGGREGATOR_MODES: ReadonlySet<string> = new Set(['sum', 'max', 'min']);

/** The registries a sink tracks and what it last read from them. @internal */
export class PromTracker {
  readonly #tracked: Array<{ registry: PromRegistryLike; options: TrackOptions }> = [];
  /** The last value read per metric and field. */
  readonly #last = new Map<string, number>();

  add(registry: PromRegistryLike, options: TrackOptions): void {
    if (!this.#tracked.some((tracked) => tracked.registry === registry)) this.#tracked.push({ registry, options });
  }

  /** Reads every tracked registry into `buffer`. */
  async collect(buffer: MetricBuffer): Promise<void> {
    for (const { registry, options } of this.#tracked) {
      for (const json of (await registry.getMetricsAsJSON()) as readonly PromMetricJson[]) {
        const spec = specOf(json, registry.getSingleMetric(json.name) as PromMetricShape | undefined, options);
        if (spec !== undefined) this.#read(buffer, buffer.metric(spec), json.values);
      }
    }
  }

  #read(buffer: MetricBuffer, metric: PendingMetric, values: readonly PromMetricValue[]): void {
    const { name, type } = metric.spec;
    for (const sample of values) {
      const labels = { ...sample.sharedLabels, ...sample.labels } as Record<string, string | number>;
      if (type === 'gauge') {
        buffer.setGauge(metric, labelsJson(metric.labelNames, labels), sample.value);
        continue;
      }
      if (type === 'counter') {
        this.#delta(buffer, metric, Field.total, labelsJson(metric.labelNames, labels), sample.value, true);
        continue;
      }
      const suffix = (sample.metricName ?? name).slice(name.length);
      const { le, ...seriesLabels } = labels;
      const json = labelsJson(metric.labelNames, seriesLabels);
      if (suffix === '_bucket' && type === 'histogram') {
        const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
        this.#delta(buffer, metric, Field.bucket, bucketJson(json, bound), sample.value, false);
      } else if (suffix === '_count') {
        this.#delta(buffer, metric, Field.count, json, sample.value, true);
      } else if (suffix === '_sum') {
        this.#delta(buffer, metric, Field.sum, json, sample.value, false);
      }
    }
  }

  /**
   * Adds what `field` gained since the last read. A value that went down was reset in prom-client
   * (`reset()`, `remove()`): it counts from zero again, so a counter never goes backwards.
   */
  #delta(buffer: MetricBuffer, metric: PendingMetric, prefix: string, labels: string, value: number, marksSeries: boolean): void {
    const field = prefix + labels;
    const key = `${metric.spec.name}\n${field}`;
    const last = this.#last.get(key);
    if (last === undefined && marksSeries) buffer.created(metric, labels);
    if (last === value) return;
    this.#last.set(key, value);
    const gained = last === undefined ? value : value - last;
    buffer.add(metric, field, gained < 0 && prefix !== Field.sum ? value : gained);
  }
}

function specOf(json: PromMetricJson, metric: PromMetricShape | undefined, options: TrackOptions): MetricSpec | undefined {
  const type = json.type;
  if (type !== 'counter' && type !== 'gauge' && type !== 'histogram' && type !== 'summary') return undefined;
  const labelNames = metric?.labelNames ?? [];
  if (type === 'histogram') return { name: json.name, help: json.help, type, labelNames, buckets: metric?.upperBounds ?? [] };
  if (type !== 'gauge') return { name: json.name, help: json.help, type, labelNames };
  const aggregator = metric?.aggregator ?? json.aggregator ?? 'sum';
  const gaugeMode =
    options.gaugeModes?.[json.name] ?? (AGGREGATOR_MODES.has(aggregator) ? (aggregator as GaugeMode) : 'sum');
  return { name: json.name, help: json.help, type, labelNames, gaugeMode: GAUGE_MODES.includes(gaugeMode) ? gaugeMode : 'sum' };
}
