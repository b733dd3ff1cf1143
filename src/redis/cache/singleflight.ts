/**
 * Singleflight: concurrent misses of one key in one process share one load.
 * @module
 */
import { unrefTimer, type Clock, type TimerHandle } from '../../core/clock';
import { ignore } from '../../core/ignore';

/** One load in progress, shared by every caller that missed its key while it ran. */
export interface Flight<T> {
  /** Settles with the load; always has a handler, so that a rejection nobody awaits is not unhandled. */
  readonly promise: Promise<T>;
  /** Aborts when the load has held its key for `loadTimeoutMs`; the loader sees it as `ctx.signal`. */
  readonly signal: AbortSignal;
  /** True once the load outlived `loadTimeoutMs`: it holds its key no more and must not write. */
  readonly abandoned: boolean;
}

class RunningFlight<T> implements Flight<T> {
  promise!: Promise<T>;
  readonly controller = new AbortController();
  abandoned = false;
  timer: TimerHandle = undefined;

  get signal(): AbortSignal {
    return this.controller.signal;
  }
}

/**
 * The loads in progress, one per key in a map (each key's callers wait on their own promise:
 * no shared emitter, no wake-up of unrelated callers). A flight leaves the map when it settles,
 * or when it has run for `loadTimeoutMs` (so that a hung load cannot pin its key); it removes
 * only itself (identity check), never a newer flight of the same key. A rejected load is never
 * kept: the next miss starts a new one.
 * @see https://github.com/l2beat/l2beat/pull/12714 (a superseded load removed the current one)
 * @see https://github.com/cloudflare/vinext/pull/498 (a hung refetch never released its key)
 */
export class Flights {
  readonly #flights = new Map<string, RunningFlight<unknown>>();
  readonly #clock: Clock;
  readonly #loadTimeoutMs: number;

  constructor(clock: Clock, loadTimeoutMs: number) {
    this.#clock = clock;
    this.#loadTimeoutMs = loadTimeoutMs;
  }

  /** The load in progress for `key`, if any. */
  get(key: string): Flight<unknown> | undefined {
    return this.#flights.get(key);
  }

  /**
   * Starts `load` as the flight of `key`, replacing none: call it only when {@link Flights.get}
   * found nothing. `load` receives the flight (its signal, whether it was abandoned).
   */
  start<T>(key: string, load: (flight: Flight<T>) => Promise<T>): Flight<T> {
    const flight = new RunningFlight<T>();
    const flights = this.#flights;
    flights.set(key, flight as RunningFlight<unknown>);
    flight.timer = this.#clock.setTimeout(() => {
      flight.abandoned = true;
      if (flights.get(key) === flight) flights.delete(key);
      flight.controller.abort(new Error(`cache load of this key outlived loadTimeoutMs (${this.#loadTimeoutMs} ms)`));
    }, this.#loadTimeoutMs);
    unrefTimer(flight.timer);
    flight.promise = load(flight).finally(() => {
      this.#clock.clearTimeout(flight.timer);
      if (flights.get(key) === flight) flights.delete(key);
    });
    flight.promise.catch(ignore);
    return flight;
  }

  /** Forgets the flight of `key` (after a `set` or `delete`): later misses start their own load. */
  forget(key: string): void {
    this.#flights.delete(key);
  }

  /** Loads in progress. */
  get size(): number {
    return this.#flights.size;
  }
}

