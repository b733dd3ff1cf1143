/**
 * `bulwark/otel`: bulwark's metric set as OpenTelemetry instruments (`registerOtelMetrics`), with
 * span events for retries, refusals and breaker transitions. Loads no OpenTelemetry code: it uses
 * the meter (and `trace`) you pass.
 *
 * Guide: [observability.md](../../docs/observability.md).
 * @module bulwark/otel
 */
export {
  otelInstrumentName,
  registerOtelMetrics,
  type ActiveSpanSource,
  type OtelMetrics,
  type RegisterOtelMetricsOptions,
} from './register-otel-metrics';
export type { MetricSetOptions } from './metric-set-options';
export { DURATION_BUCKETS, METRIC_SET, METRICS, type MetricDefinition, type MetricType } from './metric-set';
