/**
 * What every metrics sink does in process: buffer, track prom-client registries, flush on a timer
 * through a CircuitBreaker and a Timeout, keep a batch whose write failed and send it again under
 * the same sequence number (so that a write that ran but whose reply was lost is not counted
 * twice). A store only says how one batch is written.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { hostname } from 'node:os';
import { CircuitBreaker } from '../../circuit-breaker/circuit-breaker';
import { unrefTimer, type TimerHandle } from '../../core/clock';
import { parseOptions } from '../../core/config';
import { causeText, getLogger, logOrWarn } from '../../core/logger';
import { compose, type Policy } from '../../core/policy';
import { metricSetOptionsShape, type MetricSetOptions } from '../../observability/metric-set-options';
import { bulwarkMetricsSource } from '../../observability/metrics-source';
import { Timeout } from '../../timeout/timeout';
import { MetricBuffer, type Batch, type Series } from './buffer';
import type { Labels, MetricSpec } from './model';
import { METRICS_SINK_DEFAULTS, type MetricsSinkOptions } from './sink-options';
import { PromTracker, type PromRegistryLike, type TrackOptions } from './track';
import { ignore } from '../../core/ignore';

/** Counters of a sink, from {@link MetricsSink.stats}. */
export interface MetricsSinkStats {
  /** Series waiting to be written (this instance's gauges stay counted: every flush rewrites them). */
  readonly buffered: number;
  /** Values dropped because the buffer was full. */
  readonly dropped: number;
  /** Batches written. */
  readonly flushes: number;
  /** Writes that failed (the batch was kept and is sent again). */
  readonly failedFlushes: number;
}

/** Options of {@link MetricsSink.trackBulwark}: those of every exporter of the metric set. */
export type TrackBulwarkOptions = MetricSetOptions;

/** One batch with the sequence number it is written under. */
interface Numbered {
  readonly seq: number;
  readonly batch: Batch;
}

const trackBulwarkSchema = z.strictObject(metricSetOptionsShape);

/** Sink options after parsing (zod leaves absent fields `undefined`). */
type ParsedSinkOptions = { readonly [K in keyof MetricsSinkOptions]?: MetricsSinkOptions[K] | undefined };

/**
 * The in-process half of a metrics sink (see {@link RedisMetricsSink}): values recorded or
 * tracked here are written by the store every `flushIntervalMs`, never on the caller's path.
 */
export abstract class MetricsSink {
  /** This process's `instance` label on its gauges. */
  readonly instanceId: string;
  /** A random id of this sink, under which the store checks the flush sequence. */
  protected readonly sinkId: string = randomUUID();
  /** How long a metric stays stored after its last write, in ms. */
  protected readonly ttlMs: number;
  readonly #kind: string;
  readonly #buffer: MetricBuffer;
  readonly #tracker = new PromTracker();
  /** What `trackBulwark` started (its bus subscriptions), ended by `dispose`. */
  readonly #sources: Disposable[] = [];
  readonly #policy: Policy;
  readonly #timer: TimerHandle;
  #seq = 0;
  #unacked: Numbered | undefined;
  #queue: Promise<void> = Promise.resolve();
  #flushing = 0;
  #outage = false;
  #flushes = 0;
  #failedFlushes = 0;
  #disposed = false;

  /**
   * @param kind - how log lines name the sink, e.g. `RedisMetricsSink`
   * @param options - the parsed options
   */
  protected constructor(kind: string, options: ParsedSinkOptions) {
    this.#kind = kind;
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}`;
    this.ttlMs = options.ttlMs ?? METRICS_SINK_DEFAULTS.ttlMs;
    this.#buffer = new MetricBuffer(options.maxBuffered ?? METRICS_SINK_DEFAULTS.maxBuffered, this.instanceId, process.pid);
    const name = `${kind}:${this.instanceId}`;
    this.#policy = compose(
      new CircuitBreaker({ name, registry: false, failureThreshold: 3, recoveryTimeoutMs: 5_000 }),
      new Timeout({ name: `${name}:timeout`, registry: false, timeoutMs: options.timeoutMs ?? METRICS_SINK_DEFAULTS.timeoutMs }),
    );
    const intervalMs = options.flushIntervalMs ?? METRICS_SINK_DEFAULTS.flushIntervalMs;
    this.#timer = setInterval(() => this.#tick(), intervalMs);
    unrefTimer(this.#timer);
  }

  /**
   * Mirrors every metric of a prom-client 15 registry (Counter, Gauge, Histogram; a Summary's
   * count and sum), including metrics registered later: at each flush the sink reads their values
   * through `registry.getMetricsAsJSON()` and writes what changed. Your code keeps using
   * prom-client as before; its `inc()`, `set()` and `observe()` cost nothing more.
   * @returns this sink
   */
  track(registry: PromRegistryLike, options: TrackOptions = {}): this {
    this.#tracker.add(registry, options);
    return this;
  }

  /**
   * Records bulwark's own metric set (the names and labels `registerMetrics` from
   * `bulwark/prometheus` exports) into this sink, so that bulwark's metrics of many processes add
   * up too: counters and histograms from the bus events of every instance, gauges read at each
   * flush from the live instances of `bulwarkRegistry` and kept per process, combined by the
   * multiprocess mode each gauge of the set declares (`live`: summed over the processes alive;
   * `liveall`: one series per live process; `mostrecent` for a queue's depth, which every process
   * reads from the same Redis). The counters fed by events count from this call on; those read
   * from an instance's `stats()` (a circuit breaker's calls and refusals, a rate limiter's
   * decisions) count since the instance was made, as `registerMetrics` does. A second call is a
   * no-op.
   * @returns this sink
   * @throws ConfigError (from `bulwark`) naming a bad option
   * @example
   * ```ts
   * const sink = new RedisMetricsSink({ redis, prefix: 'myapp:metrics' }).trackBulwark();
   * // GET /metrics on any process: await collectFromRedis({ redis, prefix: 'myapp:metrics' })
   * ```
   */
  trackBulwark(options: TrackBulwarkOptions = {}): this {
    if (this.#sources.length > 0 || this.#disposed) return this;
    const parsed = parseOptions(trackBulwarkSchema, options, 'trackBulwark options');
    const source = bulwarkMetricsSource(parsed);
    this.#sources.push(source);
    return this.track(source, { gaugeModes: source.gaugeModes });
  }

  /**
   * The handle of one series of a metric, to record values into without looking the series up
   * again (what an adapter that feeds the sink from events keeps per series).
   */
  series(metric: MetricSpec, labels?: Labels): Series {
    return this.#buffer.series(metric, labels);
  }

  /**
   * Records one value of a series in process (never waits for the store): adds it to a counter
   * (must be ≥ 0), sets a gauge, or observes it in a histogram or summary.
   */
  record(metric: MetricSpec, labels: Labels | undefined, value: number): void {
    this.#buffer.series(metric, labels).record(value);
  }

  /**
   * Writes everything recorded or tracked so far, after any flush already running. Rejects when
   * the write fails (Redis away, the flush's timeout, an open breaker); what it held is kept and
   * written by a later flush.
   */
  flush(): Promise<void> {
    const run = this.#queue.then(() => this.#flushOnce());
    this.#queue = run.catch(ignore);
    return run;
  }

  /**
   * Stops the flush timer and writes what is left (a short-lived program calls it before it
   * exits). Rejects when that last write fails; nothing is written after it.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    clearInterval(this.#timer as ReturnType<typeof setInterval>);
    try {
      await this.flush();
    } finally {
      for (const source of this.#sources.splice(0)) source[Symbol.dispose]();
    }
  }

  /** The sink's counters. */
  stats(): MetricsSinkStats {
    return {
      buffered: this.#buffer.size,
      dropped: this.#buffer.dropped,
      flushes: this.#flushes,
      failedFlushes: this.#failedFlushes,
    };
  }

  /**
   * Writes one batch atomically: unless this sink already wrote sequence `seq` (or a later one),
   * adds every `i` op, sets every `c` op if absent, sets every `g` op with the store's time, and
   * refreshes each metric's time to live.
   */
  protected abstract write(batch: Batch, seq: number): Promise<void>;

  #tick(): void {
    if (this.#flushing > 0) return;
    this.flush().catch(ignore);
  }

  async #flushOnce(): Promise<void> {
    this.#flushing++;
    try {
      if (this.#unacked !== undefined) await this.#send(this.#unacked);
      await this.#tracker.collect(this.#buffer);
      const batch = this.#buffer.drain();
      if (batch.length === 0) return;
      this.#seq++;
      await this.#send({ seq: this.#seq, batch });
    } finally {
      this.#flushing--;
    }
  }

  /** Writes `numbered`; on failure keeps it to be sent again, under the same sequence number. */
  async #send(numbered: Numbered): Promise<void> {
    this.#unacked = numbered;
    try {
      await this.#policy.execute(() => this.write(numbered.batch, numbered.seq));
    } catch (error) {
      this.#failedFlushes++;
      if (!this.#outage) {
        this.#outage = true;
        logOrWarn({
          level: 'warn',
          fields: { sink: this.#kind, instanceId: this.instanceId, err: error },
          message: 'metrics flush failed; increments are kept until a flush succeeds',
          code: 'BULWARK_METRICS_FLUSH_FAILED',
          warning: `${this.#kind} (instance ${this.instanceId}): metrics flush failed (${causeText(error)}); increments are kept until a flush succeeds`,
        });
      }
      throw error;
    }
    this.#unacked = undefined;
    this.#flushes++;
    if (this.#outage) {
      this.#outage = false;
      getLogger().info({ sink: this.#kind, instanceId: this.instanceId, failedFlushes: this.#failedFlushes }, 'metrics flush succeeded again');
    }
  }
}
