/**
 * The samples of the metric set, in the shape prom-client's registry reads them (`value`,
 * `labels`, a histogram's `metricName`): what `registerMetrics` gives prom-client at each scrape
 * and what a metrics sink reads at each flush. Plain data: no metrics library.
 * @module
 * @internal
 */
import { defaultRegistry, type Registry } from '../core/registry';
import { readInstanceMetrics, readStoredMetrics, type SampleVisitor } from './instance-readers';
import type { MetricDefinition } from './metric-set';
import type { MetricSetOptions } from './metric-set-options';
import { MetricRecorder } from './recorder';

/** A sample as prom-client's registry formats it. */
export interface Sample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
}

const NO_SAMPLES: readonly Sample[] = Object.freeze([]);

/**
 * The samples of every metric of the set, one metric at a time: those the bus events fed into a
 * {@link MetricRecorder} (from construction to {@link SampleReader.dispose}), and those read from
 * the live instances of `bulwarkRegistry`.
 *
 * Each instance's `stats()` is read once per collection, not once per metric read from instances
 * (fourteen): the first such metric asked for in a synchronous run reads every instance and keeps
 * all their samples, by metric, until that run ends; the other metrics asked for in the same run
 * take theirs from it. prom-client's registry (and the source a sink tracks) asks for every
 * metric in one loop before it awaits any, so one scrape reads each instance once; no instance
 * runs between those calls, so the samples are the ones a read per metric would give. A later
 * run reads again.
 */
export class SampleReader implements Disposable {
  readonly #recorder: MetricRecorder;
  readonly #instances: Registry;
  /** The samples read from instances in the current synchronous run, by metric; dropped when it ends. */
  #read: Map<MetricDefinition, Sample[]> | undefined;

  constructor(options: MetricSetOptions) {
    this.#recorder = new MetricRecorder({ callDurations: options.callDurations });
    this.#instances = options.bulwarkRegistry ?? defaultRegistry;
  }

  /**
   * Every sample of `metric`: its series read from the instances (at most one round trip to a
   * store for `bulwark_queue_depth`), then those the recorder counted, histograms as cumulative
   * buckets, `_sum` and `_count`.
   */
  async samples(metric: MetricDefinition): Promise<Sample[]> {
    if (metric.source === 'store') {
      const stored: Sample[] = [];
      const visit: SampleVisitor = (read, labels, value) => {
        if (read === metric) stored.push({ labels, value });
      };
      await readStoredMetrics(this.#instances.list(), visit);
      return stored;
    }
    // The instances' samples of this run are the caller's to read, never to change: 'both' copies them.
    if (metric.source === 'instances') return this.#instanceSamples(metric) as Sample[];
    const samples: Sample[] = metric.source === 'events' ? [] : [...this.#instanceSamples(metric)];
    if (metric.type === 'histogram') {
      const buckets = metric.buckets as readonly number[];
      for (const series of this.#recorder.histogramSeries(metric)) {
        let cumulative = 0;
        for (let i = 0; i <= buckets.length; i++) {
          cumulative += series.counts[i] as number;
          const le = i < buckets.length ? (buckets[i] as number) : '+Inf';
          samples.push({ labels: { ...series.labels, le }, value: cumulative, metricName: `${metric.name}_bucket` });
        }
        samples.push({ labels: series.labels, value: series.sum, metricName: `${metric.name}_sum` });
        samples.push({ labels: series.labels, value: series.count, metricName: `${metric.name}_count` });
      }
    } else {
      for (const series of this.#recorder.counterSeries(metric)) samples.push({ labels: series.labels, value: series.value });
    }
    return samples;
  }

  /** Forgets every series the recorder counted of `metric` (a metrics library's `reset`). */
  reset(metric: MetricDefinition): void {
    this.#recorder.reset(metric);
  }

  /** Stops recording bus events. Idempotent. */
  dispose(): void {
    this.#recorder.dispose();
  }

  /** The same as {@link dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** The samples of `metric` read from the instances, reading them all if this run has not yet. */
  #instanceSamples(metric: MetricDefinition): readonly Sample[] {
    let read = this.#read;
    if (read === undefined) {
      const byMetric = new Map<MetricDefinition, Sample[]>();
      readInstanceMetrics(this.#instances.list(), (each, labels, value) => {
        const samples = byMetric.get(each);
        if (samples === undefined) byMetric.set(each, [{ labels, value }]);
        else samples.push({ labels, value });
      });
      this.#read = read = byMetric;
      queueMicrotask(() => {
        this.#read = undefined;
      });
    }
    return read.get(metric) ?? NO_SAMPLES;
  }
}
