/**
 * The in-process side of a metrics sink: increments and gauge values wait here until a flush
 * takes them, bounded by `maxBuffered` series.
 * @module
 * @internal
 */
import {
  bucketJson,
  Field,
  gaugeSeriesJson,
  labelsJson,
  metaJson,
  type Labels,
  type MetricSpec,
} from './model';

/**
 * One metric's writes in a flush: flat triples `op, field, value`, where op `i` adds the value
 * to the field, `c` sets it only if absent (`_created`), `g` sets a gauge and its `_time:` field
 * (the field is given without its `_gauge:` prefix).
 */
export interface BatchMetric {
  readonly name: string;
  readonly meta: string;
  readonly ops: readonly string[];
}

/** What one flush writes. */
export type Batch = readonly BatchMetric[];

/** One metric's pending writes. @internal */
export class PendingMetric {
  readonly meta: string;
  readonly labelNames: readonly string[];
  readonly adds = new Map<string, number>();
  readonly created = new Map<string, number>();
  /** Gauge values by series; kept after a flush, so that every flush refreshes them (liveness). */
  readonly gauges = new Map<string, number>();

  constructor(readonly spec: MetricSpec) {
    this.meta = metaJson(spec);
    this.labelNames = spec.labelNames ?? [];
  }
}

/** Pending increments and gauge values of one sink. @internal */
export class MetricBuffer {
  readonly #metrics = new Map<string, PendingMetric>();
  readonly #series = new Map<string, Series>();
  readonly #gaugePrefix: (labels: string) => string;
  #size = 0;
  /** Increments and gauge values dropped because the buffer was full. */
  dropped = 0;

  /**
   * @param maxBuffered - most series (fields) waiting at once
   * @param instanceId - the instance label of this process's gauges
   * @param pid - the pid label of this process's gauges
   */
  constructor(
    readonly maxBuffered: number,
    instanceId: string,
    pid: number,
  ) {
    this.#gaugePrefix = (labels) => gaugeSeriesJson(instanceId, pid, labels);
  }

  /** How many series wait for a flush (gauges count until the sink is disposed). */
  get size(): number {
    return this.#size;
  }

  /** The pending entry of `spec`'s metric; the first spec given for a name is kept. */
  metric(spec: MetricSpec): PendingMetric {
    let metric = this.#metrics.get(spec.name);
    if (metric === undefined) {
      metric = new PendingMetric(spec);
      this.#metrics.set(spec.name, metric);
    }
    return metric;
  }

  /** The handle of one series of `spec` (made once per series, then reused). */
  series(spec: MetricSpec, labels: Labels | undefined): Series {
    const metric = this.metric(spec);
    const json = labelsJson(metric.labelNames, labels);
    const key = `${spec.name}\n${json}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = new Series(this, metric, json);
      this.#series.set(key, series);
    }
    return series;
  }

  /** Adds `value` to `field`; drops it (and counts it) when a new field would overfill the buffer. */
  add(metric: PendingMetric, field: string, value: number): void {
    const adds = metric.adds;
    const current = adds.get(field);
    if (current !== undefined) {
      adds.set(field, current + value);
    } else if (this.#admit()) {
      adds.set(field, value);
    }
  }

  /** Records when a series was first seen (written to Redis only if absent). */
  created(metric: PendingMetric, labels: string): void {
    const field = Field.created + labels;
    if (!metric.created.has(field) && this.#admit()) metric.created.set(field, Date.now() / 1000);
  }

  /** Sets this instance's value of a gauge series. */
  setGauge(metric: PendingMetric, labels: string, value: number): void {
    const series = this.#gaugePrefix(labels);
    const gauges = metric.gauges;
    if (gauges.has(series) || this.#admit()) gauges.set(series, value);
  }

  /** Takes every pending write (gauges are kept for the next flush too); empty when nothing waits. */
  drain(): Batch {
    const batch: BatchMetric[] = [];
    for (const [name, metric] of this.#metrics) {
      const ops: string[] = [];
      for (const [field, value] of metric.adds) ops.push('i', field, String(value));
      for (const [field, value] of metric.created) ops.push('c', field, String(value));
      for (const [series, value] of metric.gauges) ops.push('g', series, String(value));
      this.#size -= metric.adds.size + metric.created.size;
      metric.adds.clear();
      metric.created.clear();
      if (ops.length > 0) batch.push({ name, meta: metric.meta, ops });
    }
    return batch;
  }

  #admit(): boolean {
    if (this.#size >= this.maxBuffered) {
      this.dropped++;
      return false;
    }
    this.#size++;
    return true;
  }
}

/**
 * One series of one metric: its field names worked out once, so that recording a value is a map
 * update. What `record` does follows the metric's type: a counter adds, a gauge sets, a
 * histogram or summary observes.
 */
export class Series {
  readonly #buffer: MetricBuffer;
  readonly #metric: PendingMetric;
  readonly #labels: string;
  readonly #total: string;
  readonly #sum: string;
  readonly #count: string;
  readonly #bounds: readonly number[];
  readonly #buckets: readonly string[];

  /** @internal */
  constructor(buffer: MetricBuffer, metric: PendingMetric, labels: string) {
    this.#buffer = buffer;
    this.#metric = metric;
    this.#labels = labels;
    this.#total = Field.total + labels;
    this.#sum = Field.sum + labels;
    this.#count = Field.count + labels;
    const { type, buckets = [] } = metric.spec;
    this.#bounds = type === 'histogram' ? [...buckets, Number.POSITIVE_INFINITY] : [];
    this.#buckets = this.#bounds.map((bound) => Field.bucket + bucketJson(labels, bound));
    if (type === 'gauge') return;
    // A new series appears at once, at zero, as prom-client shows it.
    buffer.created(metric, labels);
    if (type === 'counter') buffer.add(metric, this.#total, 0);
    else this.#zeroObservations();
  }

  /**
   * Records `value`: adds it to a counter (finite, ≥ 0), sets a gauge, observes it (finite) in a
   * histogram or summary. A value a counter or observation cannot take throws a `TypeError`, as
   * prom-client does.
   */
  record(value: number): void {
    const { type, name } = this.#metric.spec;
    if (type === 'gauge') {
      this.#buffer.setGauge(this.#metric, this.#labels, value);
      return;
    }
    if (!Number.isFinite(value) || (type === 'counter' && value < 0)) {
      throw new TypeError(`Metric ${name}: ${type === 'counter' ? 'increments must be finite and ≥ 0' : 'observations must be finite'}, got ${value}`);
    }
    if (type === 'counter') this.#buffer.add(this.#metric, this.#total, value);
    else this.#observe(value);
  }

  #observe(value: number): void {
    const buffer = this.#buffer;
    const metric = this.#metric;
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) buffer.add(metric, this.#buckets[i] as string, 1);
    }
    buffer.add(metric, this.#sum, value);
    buffer.add(metric, this.#count, 1);
  }

  #zeroObservations(): void {
    for (const bucket of this.#buckets) this.#buffer.add(this.#metric, bucket, 0);
    this.#buffer.add(this.#metric, this.#sum, 0);
    this.#buffer.add(this.#metric, this.#count, 0);
  }
}
