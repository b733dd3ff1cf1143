/**
 * `bulwark/prometheus`: bulwark's metric set in a prom-client 15 registry (`registerMetrics`), and
 * the metric set itself, for exporters of your own. Loads no prom-client code: it writes into the
 * registry you pass.
 *
 * Guide: [observability.md](../../docs/observability.md).
 * @module bulwark/prometheus
 */
export { registerMetrics, type PrometheusMetrics, type RegisterMetricsOptions } from './register-metrics';
export type { MetricSetOptions } from './metric-set-options';
export { DURATION_BUCKETS, JOB_BUCKETS, METRIC_SET, METRICS, type MetricDefinition, type MetricType } from './metric-set';
export { METRIC_EVENT_TYPES, metricUpdatesFor, type MetricUpdate } from './event-updates';
export {
  CIRCUIT_STATES,
  LOAD_LEVEL_VALUES,
  readInstanceMetrics,
  readStoredMetrics,
  type MetricInstance,
  type SampleVisitor,
} from './instance-readers';
export { MetricRecorder, type CounterSeries, type HistogramSeries, type MetricRecorderOptions } from './recorder';
