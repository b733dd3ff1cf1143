/**
 * The in-process accumulator behind every exporter: it subscribes to the bus types that feed the
 * metric set and keeps each series as plain numbers, so that a call pays a map lookup and an
 * addition, and the metrics library does its work (label hashing, formatting) at collection only.
 * @module
 */
import { globalBus, type BulwarkEvent, type Unsubscribe } from '../core/events';
import { METRIC_EVENT_TYPES, metricUpdatesFor, type MetricUpdate } from './event-updates';
import type { MetricDefinition } from './metric-set';

/** One series of a counter: its labels and its total since the recorder started. */
export interface CounterSeries {
  /** Its labels, by label name. */
  readonly labels: Readonly<Record<string, string>>;
  /** Its total. */
  value: number;
}

/** One series of a histogram. */
export interface HistogramSeries {
  /** Its labels, by label name. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Observations per bucket, not cumulative: `counts[i]` for the values in
   * (`buckets[i-1]`, `buckets[i]`], and the last entry for those above every bound (`+Inf`).
   */
  readonly counts: number[];
  /** Sum of the observed values. */
  sum: number;
  /** Number of observations. */
  count: number;
}

/** Options of a {@link MetricRecorder}. */
export interface MetricRecorderOptions {
  /**
   * Receives each histogram observation instead of the recorder's buckets (an exporter whose
   * library has its own histograms: OpenTelemetry); {@link MetricRecorder.histogramSeries} then
   * stays empty.
   */
  readonly observe?: (metric: MetricDefinition, labels: Readonly<Record<string, string>>, value: number) => void;
  /**
   * Records `bulwark_call_duration_seconds`, a circuit breaker's call durations. Off by default:
   * it makes every breaker call read the clock twice and emit an event, which costs more than the
   * breaker itself. @defaultValue false
   */
  readonly callDurations?: boolean | undefined;
}

/** What one update of one bus type writes into. */
interface Slot {
  readonly update: MetricUpdate;
  readonly series: Map<string, CounterSeries | HistogramSeries>;
  /** With an `observe` option, a histogram update's labels by series key, built once each. */
  readonly labels: Map<string, Readonly<Record<string, string>>>;
}

/**
 * Records the event-fed metrics of the set from the bus, from construction to {@link dispose}.
 * It subscribes to the {@link METRIC_EVENT_TYPES} it needs one by one (never `'*'`), so that no
 * pattern builds an event the set does not use. Cost per event: one map lookup by instance name per update, and
 * an addition (a counter) or a bucket search over {@link DURATION_BUCKETS} (a histogram).
 *
 * Memory: one series per instance name (and reason or state where the metric has one); give
 * instances names, since instances made per call with default names would make a series each.
 */
export class MetricRecorder implements Disposable {
  readonly #unsubscribes: Unsubscribe[] = [];
  readonly #byMetric = new Map<MetricDefinition, Array<Map<string, CounterSeries | HistogramSeries>>>();
  readonly #observe: MetricRecorderOptions['observe'];

  constructor(options: MetricRecorderOptions = {}) {
    this.#observe = options.observe;
    const callDurations = options.callDurations === true;
    for (const type of METRIC_EVENT_TYPES) {
      const updates = metricUpdatesFor(type).filter((update) => update.optIn === undefined || callDurations);
      if (updates.length === 0) continue;
      const slots: Slot[] = updates.map((update) => ({ update, series: this.#seriesMap(update.metric), labels: new Map() }));
      this.#unsubscribes.push(globalBus.on(type, (event) => this.#record(slots, event)));
    }
  }

  /** The series of counter `metric`, in the order they appeared. */
  counterSeries(metric: MetricDefinition): CounterSeries[] {
    return this.#series(metric) as CounterSeries[];
  }

  /** The series of histogram `metric`, in the order they appeared. */
  histogramSeries(metric: MetricDefinition): HistogramSeries[] {
    return this.#series(metric) as HistogramSeries[];
  }

  /** Forgets every series of `metric` (a metrics library's `reset`). */
  reset(metric: MetricDefinition): void {
    for (const series of this.#byMetric.get(metric) ?? []) series.clear();
  }

  /** Stops recording: unsubscribes from the bus. The series recorded so far stay readable. Idempotent. */
  dispose(): void {
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
  }

  /** The same as {@link dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #seriesMap(metric: MetricDefinition): Map<string, CounterSeries | HistogramSeries> {
    let maps = this.#byMetric.get(metric);
    if (maps === undefined) this.#byMetric.set(metric, (maps = []));
    const series = new Map<string, CounterSeries | HistogramSeries>();
    maps.push(series);
    return series;
  }

  #series(metric: MetricDefinition): Array<CounterSeries | HistogramSeries> {
    const all: Array<CounterSeries | HistogramSeries> = [];
    for (const series of this.#byMetric.get(metric) ?? []) for (const each of series.values()) all.push(each);
    return all;
  }

  #record(slots: readonly Slot[], event: BulwarkEvent): void {
    for (let i = 0; i < slots.length; i++) {
      const { update, series } = slots[i] as Slot;
      const metric = update.metric;
      if (metric.type === 'histogram' && this.#observe !== undefined) {
        this.#observe(metric, labelsOf(slots[i] as Slot, event), update.value(event));
        continue;
      }
      const key = update.seriesKey(event);
      let entry = series.get(key);
      if (entry === undefined) {
        entry = newSeries(metric, update.labels(event));
        series.set(key, entry);
      }
      if (metric.type === 'histogram') observe(entry as HistogramSeries, metric.buckets as readonly number[], update.value(event));
      else (entry as CounterSeries).value += update.value(event);
    }
  }
}

/** The labels of the event's series, for an `observe` option: built once per series. */
function labelsOf(slot: Slot, event: BulwarkEvent): Readonly<Record<string, string>> {
  const key = slot.update.seriesKey(event);
  let labels = slot.labels.get(key);
  if (labels === undefined) slot.labels.set(key, (labels = slot.update.labels(event)));
  return labels;
}

function newSeries(metric: MetricDefinition, labels: Readonly<Record<string, string>>): CounterSeries | HistogramSeries {
  if (metric.type !== 'histogram') return { labels, value: 0 };
  return { labels, counts: new Array<number>((metric.buckets as readonly number[]).length + 1).fill(0), sum: 0, count: 0 };
}

/** Adds `value` to the first bucket whose bound is ≥ it (`+Inf` past the last). */
function observe(series: HistogramSeries, buckets: readonly number[], value: number): void {
  let i = 0;
  while (i < buckets.length && value > (buckets[i] as number)) i++;
  (series.counts[i] as number)++;
  series.sum += value;
  series.count++;
}
