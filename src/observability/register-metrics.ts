/**
 * `registerMetrics`: bulwark's metric set in a prom-client registry.
 * @module
 */
import type { Registry as PromRegistry } from 'prom-client';
import { z } from 'zod';
import { objectWithMethods, parseOptions } from '../core/config';
import { ConfigError } from '../core/errors';
import { METRIC_SET, type MetricDefinition } from './metric-set';
import { metricSetOptionsShape, type MetricSetOptions } from './metric-set-options';
import { SampleReader, type Sample } from './samples';

/** Options of {@link registerMetrics}. */
export interface RegisterMetricsOptions extends MetricSetOptions {
  /** The prom-client registry to add bulwark's metrics to (never the global one unless you pass it). */
  registry: PromRegistry;
}

/** What {@link registerMetrics} returns: ends the export. */
export interface PrometheusMetrics extends Disposable {
  /**
   * Unsubscribes from the bus and removes bulwark's metrics from the registry (so that
   * `registerMetrics` may be called on it again). Idempotent.
   */
  dispose(): void;
}

const optionsSchema = z
  .object({
    registry: objectWithMethods<PromRegistry>(['registerMetric', 'getSingleMetric'], 'expected a prom-client Registry'),
    ...metricSetOptionsShape,
  })
  .strict();

/**
 * Adds bulwark's metric set to a prom-client 15 registry: counters and histograms fed by the bus
 * (each event adds to plain numbers in process; prom-client reads them when scraped), and gauges
 * read from the live instances of `bulwarkRegistry` at scrape time. Registers nothing else: no
 * default process metrics, nothing on prom-client's global registry unless you pass it.
 *
 * Counters fed by events count from this call on, for every instance that publishes on the bus,
 * in any registry (or none). What is read from instances at scrape time (the gauges, a circuit
 * breaker's calls and refusals, a rate limiter's decisions, a queue's depth) covers the instances
 * of `bulwarkRegistry` only, counted since each was made.
 * @throws `ConfigError` (from `bulwark`) when an option is invalid, or when the registry already holds one of
 * bulwark's metrics (registered twice)
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import { registerMetrics } from 'bulwark/prometheus';
 *
 * const registry = new Registry();
 * const metrics = registerMetrics({ registry });
 * // GET /metrics: res.setHeader('content-type', registry.contentType).end(await registry.metrics())
 * metrics.dispose(); // at shutdown
 * ```
 */
export function registerMetrics(options: RegisterMetricsOptions): PrometheusMetrics {
  const parsed = parseOptions(optionsSchema, options, 'registerMetrics options');
  const registry = parsed.registry;
  const taken = METRIC_SET.filter((metric) => registry.getSingleMetric(metric.name) !== undefined);
  if (taken.length > 0) {
    throw new ConfigError(
      'registerMetrics options',
      taken.map((metric) => ({ path: 'registry', message: `already has a metric named ${metric.name} (bulwark's metrics registered twice?)` })),
    );
  }
  const reader = new SampleReader(parsed);
  const collectors = METRIC_SET.map((metric) => new Collector(metric, reader));
  for (const collector of collectors) registry.registerMetric(collector as unknown as Parameters<PromRegistry['registerMetric']>[0]);
  let disposed = false;
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    reader.dispose();
    for (const collector of collectors) {
      if ((registry.getSingleMetric(collector.name) as unknown) === collector) registry.removeSingleMetric(collector.name);
    }
  };
  return { dispose, [Symbol.dispose]: dispose };
}

/**
 * One metric of the set as prom-client's registry reads a metric: `name`, `help`, `type`,
 * `aggregator`, `get()` (called at each scrape) and `reset()`. Nothing happens per call here: the
 * reader's recorder keeps the numbers, `get()` turns them into samples.
 */
class Collector {
  /** Mutable: prom-client strips `_total` from counter names when it writes OpenMetrics. */
  name: string;
  readonly help: string;
  readonly type: string;
  readonly labelNames: readonly string[];
  readonly aggregator = 'sum';
  readonly #metric: MetricDefinition;
  readonly #reader: SampleReader;

  constructor(metric: MetricDefinition, reader: SampleReader) {
    this.name = metric.name;
    this.help = metric.help;
    this.type = metric.type;
    this.labelNames = metric.labelNames;
    this.#metric = metric;
    this.#reader = reader;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values = await this.#reader.samples(this.#metric);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#reader.reset(this.#metric);
  }
}
