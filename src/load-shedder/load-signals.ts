/**
 * Where a {@link LoadShedder} reads the Node load signals it watches: event-loop delay,
 * event-loop utilization and heap use. The default source measures this process through
 * `perf_hooks` and `v8`; tests (or an application with readings of its own) pass another.
 * @module
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/**
 * One load signal being measured. The shedder calls {@link LoadSignalReader.read} once per
 * sample and {@link LoadSignalReader.stop} once, on dispose.
 */
export interface LoadSignalReader {
  /** The signal's value now: for a windowed signal, over the time since the previous read. */
  read(): number;
  /** Stops measuring and releases what the reader holds. */
  stop(): void;
}

/**
 * Starts measuring load signals. A shedder calls each method at most once, at construction, and
 * only for the signals its options configure: a signal that is not configured is never measured.
 */
export interface LoadSignalSource {
  /** Event-loop delay: each read returns the 99th percentile, in ms, since the previous read. */
  eventLoopDelay(): LoadSignalReader;
  /** Event-loop utilization: each read returns the busy fraction (0–1) of the time since the previous read. */
  eventLoopUtilization(): LoadSignalReader;
  /** Heap use: each read returns the V8 heap used divided by the heap size limit (0–1). */
  heapUsedRatio(): LoadSignalReader;
}

/**
 * How often Node's delay probe fires, in ms (Node's own default). A sample reports the p99 of the
 * probe's lateness beyond this interval.
 */
const DELAY_RESOLUTION_MS = 10;

/**
 * p99 event-loop delay from `monitorEventLoopDelay`, reset at every read so that each read
 * covers one window. Node's histogram records the probe's whole interval, so the resolution is
 * subtracted (an idle loop reads about 0, not 10 ms). When the probe never fired during a window
 * the loop was blocked for most of it (or the window was shorter than the probe interval): the
 * window's own length beyond the resolution stands in for the delay.
 * @see https://nodejs.org/api/perf_hooks.html#perf_hooksmonitoreventloopdelayoptions
 */
class EventLoopDelayReader implements LoadSignalReader {
  readonly #histogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  #lastReadAt = performance.now();

  constructor() {
    this.#histogram.enable();
  }

  read(): number {
    const now = performance.now();
    const windowMs = now - this.#lastReadAt;
    this.#lastReadAt = now;
    const histogram = this.#histogram;
    const delayMs =
      histogram.count === 0 ? windowMs - DELAY_RESOLUTION_MS : histogram.percentile(99) / 1e6 - DELAY_RESOLUTION_MS;
    histogram.reset();
    return Math.max(0, delayMs);
  }

  stop(): void {
    this.#histogram.disable();
  }
}

/** Busy fraction of the event loop between reads, from `performance.eventLoopUtilization` deltas. */
class EventLoopUtilizationReader implements LoadSignalReader {
  #last: EventLoopUtilization = performance.eventLoopUtilization();

  read(): number {
    const current = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(current, this.#last);
    this.#last = current;
    return utilization;
  }

  stop(): void {}
}

/** Heap used over the heap size limit, from `v8.getHeapStatistics()`. */
const heapUsedRatioReader: LoadSignalReader = {
  read(): number {
    const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
    return used / limit;
  },
  stop(): void {},
};

/** The default {@link LoadSignalSource}: this process, measured by Node. @internal */
export const nodeLoadSignals: LoadSignalSource = {
  eventLoopDelay: () => new EventLoopDelayReader(),
  eventLoopUtilization: () => new EventLoopUtilizationReader(),
  heapUsedRatio: () => heapUsedRatioReader,
};
