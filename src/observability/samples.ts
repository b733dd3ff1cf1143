/**
 * The samples of one metric of the set, in the shape prom-client's registry reads them (`value`,
 * `labels`, a histogram's `metricName`): what `registerMetrics` gives prom-client at each scrape
 * and what a metrics sink reads at each flush. Plain data: no metrics library.
 * @module
 * @internal
 */
import type { Registry } from '../core/registry';
import { readInstanceMetrics, readStoredMetrics, type SampleVisitor } from './instance-readers';
import type { MetricDefinition } from './metric-set';
import type { MetricRecorder } from './recorder';

/** A sample as prom-client's registry formats it. */
export interface Sample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
}

/**
 * Every sample of `metric`: its series read from `instances` (at most one round trip to a store
 * for `bulwark_queue_depth`), then those `recorder` counted, histograms as cumulative buckets,
 * `_sum` and `_count`.
 */
export async function metricSamples(metric: MetricDefinition, recorder: MetricRecorder, instances: Registry): Promise<Sample[]> {
  const samples: Sample[] = [];
  if (metric.source !== 'events') {
    const visit: SampleVisitor = (read, labels, value) => {
      if (read === metric) samples.push({ labels, value });
    };
    if (metric.source === 'store') await readStoredMetrics(instances.list(), visit);
    else readInstanceMetrics(instances.list(), visit);
  }
  if (metric.source === 'instances' || metric.source === 'store') return samples;
  if (metric.type === 'histogram') {
    const buckets = metric.buckets as readonly number[];
    for (const series of recorder.histogramSeries(metric)) {
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
    for (const series of recorder.counterSeries(metric)) samples.push({ labels: series.labels, value: series.value });
  }
  return samples;
}
