/**
 * An OpenTelemetry meter on the SDK's in-memory exporter, and its data as Prometheus-style samples,
 * for comparing bulwark/otel with bulwark/prometheus.
 */
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type Histogram as HistogramPoint,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { METRIC_SET, otelInstrumentName } from '../../src/observability/otel';
import type { ParsedSample } from './exposition';

/** A meter whose data `read()` collects (cumulative). */
export function setUp(): { meter: ReturnType<MeterProvider['getMeter']>; read: () => Promise<MetricData[]> } {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  return {
    meter: provider.getMeter('bulwark-test'),
    async read() {
      exporter.reset();
      await reader.forceFlush();
      return exporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    },
  };
}

/** The OTel data as Prometheus-style samples: name (with `_total`, `_sum`, `_count`), labels, value. */
export function asSamples(metrics: MetricData[]): ParsedSample[] {
  const samples: ParsedSample[] = [];
  for (const metric of metrics) {
    const definition = METRIC_SET.find((m) => otelInstrumentName(m) === metric.descriptor.name);
    if (definition === undefined) continue;
    for (const point of metric.dataPoints) {
      const labels = point.attributes as Record<string, string>;
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        const value = point.value as HistogramPoint;
        samples.push({ name: `${definition.name}_sum`, labels, value: value.sum ?? 0 });
        samples.push({ name: `${definition.name}_count`, labels, value: value.count });
        let cumulative = 0;
        value.buckets.counts.forEach((count, i) => {
          cumulative += count;
          const le = value.buckets.boundaries[i];
          samples.push({ name: `${definition.name}_bucket`, labels: { ...labels, le: le === undefined ? '+Inf' : String(le) }, value: cumulative });
        });
      } else {
        samples.push({ name: definition.name, labels, value: point.value as number });
      }
    }
  }
  return samples;
}

export const key = (s: ParsedSample): string => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
export const byKey = (samples: ParsedSample[]): Map<string, number> => new Map(samples.map((s) => [key(s), s.value]));

