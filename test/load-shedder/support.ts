import { flushPromises } from '../support/async';
import type { LoadShedderOptions, LoadSignalReader, LoadSignalSource } from '../../src/load-shedder/index';
import { LoadShedder } from '../../src/load-shedder/index';
import { ManualClock } from '../support/manual-clock';

/**
 * Thresholds that give each priority an occupancy of its own (the defaults shed `normal`, `high`
 * and `critical` only when full), for the tests of how the tiers are shed in turn.
 */
export const TIERED_THRESHOLDS = { low: 0.5, normal: 0.75, high: 0.9, critical: 1 } as const;

/**
 * A shedder on a manual clock, outside the default registry, recording its level changes; without
 * a queue unless `options` set `maxQueue` (the tests of admission see each call shed at once).
 */
export function shedderOnClock(options: LoadShedderOptions) {
  const clock = new ManualClock();
  const shedder = new LoadShedder({ registry: false, clock, maxQueue: 0, ...options });
  const levels: Array<[string, string]> = [];
  shedder.events.on('loadLevelChange', ({ from, to }) => levels.push([from, to]));
  return { clock, shedder, levels };
}

/**
 * Functions that stay in flight until released: `calls.hold()` is an `fn` for `execute`;
 * `calls.release()` settles the oldest running one.
 */
export class HeldCalls {
  readonly #running: Array<() => void> = [];
  started = 0;

  /** An `fn` that runs until released, resolving to `value`. */
  hold<T>(value?: T): () => Promise<T | undefined> {
    return () =>
      new Promise<T | undefined>((resolve) => {
        this.started++;
        this.#running.push(() => resolve(value));
      });
  }

  /** Calls running now (started, not yet released). */
  get running(): number {
    return this.#running.length;
  }

  /** Settles the oldest running call, then lets promise callbacks run. */
  async release(count = 1): Promise<void> {
    for (let i = 0; i < count; i++) this.#running.shift()?.();
    await flushPromises();
  }
}

/** How a call through the shedder ended. */
export async function outcome(promise: Promise<unknown>): Promise<unknown> {
  try {
    return await promise;
  } catch (error) {
    return (error as { code?: string }).code === 'LOAD_SHED' ? 'shed' : error;
  }
}

/** A {@link LoadSignalSource} whose readings a test sets; records which readers started and stopped. */
export class FakeSignals implements LoadSignalSource {
  /** What the event-loop delay reader returns, in ms. */
  delayMs = 0;
  /** What the event-loop utilization reader returns. */
  utilization = 0;
  /** What the heap reader returns. */
  heapRatio = 0;
  readonly started: string[] = [];
  readonly stopped: string[] = [];
  reads = 0;
  /** When set, every read throws it. */
  failWith: Error | undefined;
  /** When set, every stop throws it. */
  failStopWith: Error | undefined;

  eventLoopDelay(): LoadSignalReader {
    return this.#reader('eventLoopDelay', () => this.delayMs);
  }

  eventLoopUtilization(): LoadSignalReader {
    return this.#reader('eventLoopUtilization', () => this.utilization);
  }

  heapUsedRatio(): LoadSignalReader {
    return this.#reader('heapUsedRatio', () => this.heapRatio);
  }

  #reader(name: string, value: () => number): LoadSignalReader {
    this.started.push(name);
    return {
      read: () => {
        this.reads++;
        if (this.failWith !== undefined) throw this.failWith;
        return value();
      },
      stop: () => {
        this.stopped.push(name);
        if (this.failStopWith !== undefined) throw this.failStopWith;
      },
    };
  }
}
