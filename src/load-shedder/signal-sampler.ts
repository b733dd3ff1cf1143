/**
 * Samples the configured Node load signals on a timer and turns them into one pressure: the
 * highest signal over its maximum.
 *
 * Lifetimes: the readers start measuring when the sampler is built and stop in
 * {@link SignalSampler.stop}. One timer at a time, re-armed after each sample and unref'd, so it
 * never keeps the process alive; `stop()` clears it. A reader that throws (or returns something
 * that is not a number ≥ 0) is logged and its previous reading kept.
 * @module
 * @internal
 */
import { unrefTimer, type Clock, type TimerHandle } from '../core/clock';
import { getLogger } from '../core/logger';
import type { LoadSignalReader, LoadSignalSource } from './load-signals';
import type { LoadSignalReadings } from './stats';

/** The maxima of the signals to watch; a signal without one is not measured. */
export interface SignalMaxima {
  readonly eventLoopDelayMs: number | undefined;
  readonly eventLoopUtilization: number | undefined;
  readonly heapUsedRatio: number | undefined;
}

type Readings = { -readonly [K in keyof LoadSignalReadings]: LoadSignalReadings[K] };

interface Signal {
  readonly key: keyof Readings;
  readonly reader: LoadSignalReader;
  readonly max: number;
}

/** Readings before the first sample, after `stop()`, or with no signals at all. */
export const NO_READINGS: LoadSignalReadings = Object.freeze({
  eventLoopDelayMs: null,
  eventLoopUtilization: null,
  heapUsedRatio: null,
});

/** See the module comment. */
export class SignalSampler {
  readonly #signals: readonly Signal[];
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #onSample: (pressure: number) => void;
  readonly #patternName: string;
  #readings: Readings = { ...NO_READINGS };
  #pressure = 0;
  #timer: TimerHandle | undefined;
  #stopped = false;

  /**
   * Starts the readers of the signals with a maximum, and the timer.
   * @param onSample - told the pressure after each sample
   */
  constructor(
    maxima: SignalMaxima,
    source: LoadSignalSource,
    intervalMs: number,
    clock: Clock,
    patternName: string,
    onSample: (pressure: number) => void,
  ) {
    const signals: Signal[] = [];
    if (maxima.eventLoopDelayMs !== undefined) {
      signals.push({ key: 'eventLoopDelayMs', reader: source.eventLoopDelay(), max: maxima.eventLoopDelayMs });
    }
    if (maxima.eventLoopUtilization !== undefined) {
      signals.push({ key: 'eventLoopUtilization', reader: source.eventLoopUtilization(), max: maxima.eventLoopUtilization });
    }
    if (maxima.heapUsedRatio !== undefined) {
      signals.push({ key: 'heapUsedRatio', reader: source.heapUsedRatio(), max: maxima.heapUsedRatio });
    }
    this.#signals = signals;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
    this.#patternName = patternName;
    this.#onSample = onSample;
    this.#schedule();
  }

  /** The latest readings (a copy); all `null` once stopped. */
  get readings(): LoadSignalReadings {
    return { ...this.#readings };
  }

  /** The pressure of the latest sample: the highest signal over its maximum; 0 before the first and once stopped. */
  get pressure(): number {
    return this.#pressure;
  }

  /** Stops the timer and the readers and forgets the readings; idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const signal of this.#signals) {
      try {
        signal.reader.stop();
      } catch (error) {
        this.#logReaderError(error, signal.key, 'stop');
      }
    }
    this.#readings = { ...NO_READINGS };
    this.#pressure = 0;
  }

  #schedule(): void {
    const timer = this.#clock.setTimeout(this.#sample, this.#intervalMs);
    unrefTimer(timer);
    this.#timer = timer;
  }

  readonly #sample = (): void => {
    this.#timer = undefined;
    const readings = this.#readings;
    let pressure = 0;
    for (const signal of this.#signals) {
      try {
        const value: unknown = signal.reader.read();
        if (typeof value !== 'number' || !(value >= 0)) throw new TypeError(`read() returned ${String(value)}`);
        readings[signal.key] = value;
      } catch (error) {
        this.#logReaderError(error, signal.key, 'read');
      }
      const reading = readings[signal.key];
      if (reading !== null) pressure = Math.max(pressure, reading / signal.max);
    }
    this.#pressure = pressure;
    this.#onSample(pressure);
    if (!this.#stopped) this.#schedule();
  };

  #logReaderError(error: unknown, signal: string, operation: 'read' | 'stop'): void {
    getLogger().error(
      { err: error, patternType: 'loadShedder', patternName: this.#patternName, signal },
      operation === 'read'
        ? 'bulwark: a load signal reader failed; its previous reading stands'
        : 'bulwark: a load signal reader failed to stop',
    );
  }
}
