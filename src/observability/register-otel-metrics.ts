/**
 * `registerOtelMetrics`: bulwark's metric set as OpenTelemetry instruments, and span events on the
 * active span.
 * @module
 */
import type { Attributes, BatchObservableCallback, Histogram, Meter, Observable, Span } from '@opentelemetry/api';
import { z } from 'zod';
import { objectWithMethods, parseOptions } from '../core/config';
import { globalBus, type BulwarkEvent, type Unsubscribe } from '../core/events';
import { defaultRegistry } from '../core/registry';
import { readInstanceMetrics, readStoredMetrics, type SampleVisitor } from './instance-readers';
import { METRIC_SET, type MetricDefinition } from './metric-set';
import { metricSetOptionsShape, type MetricSetOptions } from './metric-set-options';
import { MetricRecorder } from './recorder';
import { REJECTION_EVENT_TYPES } from './rejection-events';

/** What {@link registerOtelMetrics} needs of `@opentelemetry/api`'s `trace`: the active span. */
export interface ActiveSpanSource {
  /** The span of the current context, if any (`trace.getActiveSpan`). */
  getActiveSpan(): Span | undefined;
}

/** Options of {@link registerOtelMetrics}. */
export interface RegisterOtelMetricsOptions extends MetricSetOptions {
  /** The meter to create bulwark's instruments with, e.g. `metrics.getMeter('my-service')`. */
  meter: Meter;
  /**
   * `trace` from `@opentelemetry/api`: with it, retries, refusals and circuit breaker transitions
   * are added as events (`bulwark.retry`, `bulwark.rejected`, `bulwark.state_change`) on the span
   * active where they happen. Without it, no span events (bulwark/otel loads nothing of the API by
   * itself). @defaultValue none
   */
  trace?: ActiveSpanSource | undefined;
}

/** What {@link registerOtelMetrics} returns: ends the export. */
export interface OtelMetrics extends Disposable {
  /** Unsubscribes from the bus and removes the observable callback. Idempotent. */
  dispose(): void;
}

const optionsSchema = z
  .object({
    meter: objectWithMethods<Meter>(['createHistogram', 'addBatchObservableCallback'], 'expected an OpenTelemetry Meter'),
    ...metricSetOptionsShape,
    trace: objectWithMethods<ActiveSpanSource>(['getActiveSpan'], "expected @opentelemetry/api's trace (an object with getActiveSpan)").optional(),
  })
  .strict();

/**
 * The OpenTelemetry name of a metric of the set: its Prometheus name without `_total` (an
 * OpenTelemetry-to-Prometheus exporter adds it back to counters), e.g. `bulwark_calls`.
 */
export function otelInstrumentName(metric: MetricDefinition): string {
  return metric.type === 'counter' ? metric.name.replace(/_total$/, '') : metric.name;
}

/**
 * Creates bulwark's metric set on an OpenTelemetry meter (`@opentelemetry/api` 1.9): counters as
 * observable counters over totals kept in process (no per-call instrument call), durations as
 * histograms recorded per event (with the set's bucket bounds as advice), live gauges as
 * observable gauges read from `bulwarkRegistry`'s instances when the SDK collects. With `trace`,
 * also span events on the active span for retries, refusals and breaker transitions.
 *
 * Instrument names are {@link otelInstrumentName}'s; attributes are the Prometheus labels.
 * @throws `ConfigError` (from `bulwark`) when an option is invalid
 * @example
 * ```ts
 * import { metrics, trace } from '@opentelemetry/api';
 * import { registerOtelMetrics } from 'bulwark/otel';
 *
 * const otel = registerOtelMetrics({ meter: metrics.getMeter('checkout'), trace });
 * otel.dispose(); // at shutdown
 * ```
 */
export function registerOtelMetrics(options: RegisterOtelMetricsOptions): OtelMetrics {
  const parsed = parseOptions(optionsSchema, options, 'registerOtelMetrics options');
  const meter = parsed.meter;
  const bulwarkRegistry = parsed.bulwarkRegistry ?? defaultRegistry;
  const histograms = new Map<MetricDefinition, Histogram>();
  const observables = new Map<MetricDefinition, Observable>();
  for (const metric of METRIC_SET) {
    const name = otelInstrumentName(metric);
    const instrument = { description: metric.help, unit: metric.unit };
    if (metric.type === 'histogram') {
      const advice = { explicitBucketBoundaries: [...(metric.buckets as readonly number[])] };
      histograms.set(metric, meter.createHistogram(name, { ...instrument, advice }));
    } else if (metric.type === 'counter') {
      observables.set(metric, meter.createObservableCounter(name, instrument));
    } else {
      observables.set(metric, meter.createObservableGauge(name, instrument));
    }
  }
  const recorder = new MetricRecorder({
    observe: (metric, labels, value) => histograms.get(metric)?.record(value, labels),
    callDurations: parsed.callDurations,
  });
  const collect: BatchObservableCallback = async (result) => {
    for (const [metric, observable] of observables) {
      if (metric.source === 'instances' || metric.source === 'store') continue;
      for (const series of recorder.counterSeries(metric)) result.observe(observable, series.value, series.labels);
    }
    const visit: SampleVisitor = (metric, labels, value) => {
      const observable = observables.get(metric);
      if (observable !== undefined) result.observe(observable, value, labels);
    };
    const instances = bulwarkRegistry.list();
    readInstanceMetrics(instances, visit);
    await readStoredMetrics(instances, visit);
  };
  const observed = [...observables.values()];
  meter.addBatchObservableCallback(collect, observed);
  const spanEvents = parsed.trace === undefined ? [] : subscribeSpanEvents(parsed.trace);
  let disposed = false;
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    recorder.dispose();
    meter.removeBatchObservableCallback(collect, observed);
    for (const unsubscribe of spanEvents) unsubscribe();
  };
  return { dispose, [Symbol.dispose]: dispose };
}

/** Fields the span events read. */
interface SpanEventFields extends BulwarkEvent {
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
  readonly from: string;
  readonly to: string;
  readonly retryAfterMs?: number;
}

/** Adds span events for retries, every refusal and breaker transitions; returns the unsubscribes. */
function subscribeSpanEvents(trace: ActiveSpanSource): Unsubscribe[] {
  const common = (e: BulwarkEvent): Attributes => ({ 'bulwark.pattern': e.patternType, 'bulwark.name': e.patternName });
  const onRetry = (event: BulwarkEvent): void => {
    const e = event as SpanEventFields;
    trace.getActiveSpan()?.addEvent('bulwark.retry', { ...common(e), 'bulwark.attempt': e.attempt, 'bulwark.delay_ms': e.delayMs });
  };
  const onRejected = (event: BulwarkEvent): void => {
    const span = trace.getActiveSpan();
    if (span === undefined) return;
    const e = event as SpanEventFields;
    const attributes: Attributes = { ...common(e), 'bulwark.reason': e.reason };
    if (e.retryAfterMs !== undefined && Number.isFinite(e.retryAfterMs)) attributes['bulwark.retry_after_ms'] = e.retryAfterMs;
    span.addEvent('bulwark.rejected', attributes);
  };
  const onStateChange = (event: BulwarkEvent): void => {
    const e = event as SpanEventFields;
    trace.getActiveSpan()?.addEvent('bulwark.state_change', {
      ...common(e),
      'bulwark.from': e.from,
      'bulwark.to': e.to,
      'bulwark.reason': e.reason,
    });
  };
  return [
    globalBus.on('retry:retry', onRetry),
    globalBus.on('circuitBreaker:stateChange', onStateChange),
    ...REJECTION_EVENT_TYPES.map((type) => globalBus.on(type, onRejected)),
  ];
}
