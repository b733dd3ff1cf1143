/**
 * A deterministic open-loop simulation of an AdaptiveConcurrencyLimiter in front of a dependency
 * that shares a fixed capacity: requests arrive at a steady rate whatever happens to them (as
 * real traffic does, and as closed-loop clients do not: they slow down with the server and hide
 * an overload), and the limiter rejects the ones over its limit at once. Shared by the sustained
 * overload cases of simulation.test.ts and bench/adaptive-plot.ts; its arrivals, by
 * test/load-shedder/overload.test.ts, with the calls' lag.
 *
 * The dependency is bench:overload's: `capacity` calls at `baseLatencyMs`; a call arriving with
 * `active` calls in progress (itself included) takes `baseLatencyMs × max(1, active / capacity)`.
 * Time moves in steps of 1 ms on a clock of the simulation's own; a call ends on the first step
 * at or after its latency, so round trips are whole ms.
 */
import {
  AdaptiveConcurrencyLimiter,
  type AdaptiveConcurrencyLimiterOptions,
  type ConcurrencyPermit,
  type LimitAlgorithmName,
} from '../../src/adaptive-concurrency/index';
import { sleep, type Clock, type TimerHandle } from '../../src/core/clock';
import { seededRandom } from './simulation';

/** One open-loop run. */
export interface OverloadScenario {
  readonly algorithm: LimitAlgorithmName;
  /** Options of the limiter besides the algorithm (its defaults otherwise). */
  readonly options?: Omit<AdaptiveConcurrencyLimiterOptions, 'algorithm' | 'clock' | 'registry'>;
  /** Calls the dependency serves at once at its base latency. */
  readonly capacity: number;
  readonly baseLatencyMs: number;
  /** Arrivals per second, as a multiple of what the dependency serves (`capacity / baseLatencyMs`). */
  readonly load: number;
  /** The dependency's capacity from a given time on (ms since the start). */
  readonly capacityChanges: ReadonlyArray<{ readonly atMs: number; readonly capacity: number }>;
  /** The dependency's base latency from a given time on (ms since the start): slower for good, not queueing. */
  readonly latencyChanges?: ReadonlyArray<{ readonly atMs: number; readonly baseLatencyMs: number }>;
  /** A Timeout inside the limiter: a call slower than this is released as dropped when it runs out. */
  readonly timeoutMs?: number;
  /** The client's deadline: a success slower than this is not goodput. */
  readonly deadlineMs: number;
  readonly durationMs: number;
  /** How often the limit is recorded, in ms. */
  readonly sampleEveryMs: number;
  /**
   * How requests arrive: `'even'` (the default) spreads them evenly over each ms; `'random'` at
   * independent random instants (a Poisson process of the same rate, seeded, so a run is still the
   * same every time), as requests from many clients do: some ms bring none, some several, and a
   * slot that frees in a gap stays idle until the next arrival.
   */
  readonly arrivals?: 'even' | 'random';
  /**
   * Mean of a delay added to each call, in ms, at seeded random (exponential): the timer and
   * event-loop lag of a real process, which makes round trips vary from call to call. 0 (the
   * default) gives every call exactly the dependency's latency.
   */
  readonly lagMs?: number;
}

/** The limit, the dependency's capacity and the goodput of the second that ends at one instant. */
export interface OverloadPoint {
  readonly timeMs: number;
  readonly limit: number;
  readonly capacity: number;
}

/** What a run produced. */
export interface OverloadTrace {
  readonly scenario: OverloadScenario;
  readonly points: readonly OverloadPoint[];
  /** Successes within the deadline, per whole second of the run. */
  readonly goodputPerSecond: readonly number[];
  /** The latency of every success within the deadline, in ms, in the order they ended. */
  readonly latencies: readonly number[];
  readonly rejected: number;
  readonly dropped: number;
}

/** bench:overload's dependency: 20 calls at once at 20 ms, 1,000 calls/s; clients wait 500 ms. */
export const OVERLOAD_SERVER = { capacity: 20, baseLatencyMs: 20, deadlineMs: 500 } as const;

/** Seed of Vegas's probe interval, so that a run is the same every time. */
const PROBE_SEED = 7;
/** Seed of the random arrivals. */
const ARRIVALS_SEED = 11;
/** Seed of the calls' lag. */
const LAG_SEED = 13;

/** A clock whose time the simulation sets; the limiter needs no timer when calls do not wait. */
class SteppedClock implements Clock {
  time = 0;
  now(): number {
    return this.time;
  }
  setTimeout(): TimerHandle {
    throw new Error('the overload simulation runs no timers');
  }
  clearTimeout(): void {}
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleep(ms, signal, this);
  }
}

/** A permit's end, or the dependency finishing a call its client stopped waiting for. */
type Completion = { readonly permit: ConcurrencyPermit | undefined; readonly outcome: 'success' | 'dropped' | 'done'; readonly latencyMs: number };

/** Runs `scenario` to its end and returns the trace of the limit and the goodput. */
export async function simulateOverload(scenario: OverloadScenario): Promise<OverloadTrace> {
  const clock = new SteppedClock();
  const random = scenario.algorithm === 'vegas' ? { random: seededRandom(PROBE_SEED) } : {};
  const limiter = new AdaptiveConcurrencyLimiter({ ...random, ...scenario.options, algorithm: scenario.algorithm, clock, registry: false });
  const completions = new Map<number, Completion[]>();
  const schedule = (atMs: number, completion: Completion): void => {
    const bucket = completions.get(atMs);
    if (bucket === undefined) completions.set(atMs, [completion]);
    else bucket.push(completion);
  };
  const changes = [...scenario.capacityChanges].sort((a, b) => a.atMs - b.atMs);
  const latencyChanges = [...(scenario.latencyChanges ?? [])].sort((a, b) => a.atMs - b.atMs);
  let baseLatencyMs = scenario.baseLatencyMs;
  const arrivalsPerMs = (scenario.load * scenario.capacity) / scenario.baseLatencyMs;
  const arrivalsIn = arrivalCounter(scenario.arrivals ?? 'even', arrivalsPerMs);
  const lag = lagSampler(scenario.lagMs ?? 0);
  const goodputPerSecond: number[] = [];
  const latencies: number[] = [];
  const points: OverloadPoint[] = [];
  let capacity = scenario.capacity;
  let active = 0;
  let rejected = 0;
  let dropped = 0;
  let goodput = 0;

  for (let timeMs = 0; timeMs < scenario.durationMs; timeMs++) {
    clock.time = timeMs;
    while (changes[0] !== undefined && changes[0].atMs <= timeMs) capacity = (changes.shift() as { capacity: number }).capacity;
    while (latencyChanges[0] !== undefined && latencyChanges[0].atMs <= timeMs) baseLatencyMs = (latencyChanges.shift() as { baseLatencyMs: number }).baseLatencyMs;
    for (const { permit, outcome, latencyMs } of completions.get(timeMs) ?? []) {
      if (outcome !== 'dropped') active--;
      if (outcome === 'done') continue;
      permit?.release(outcome);
      if (outcome === 'dropped') dropped++;
      else if (latencyMs <= scenario.deadlineMs) {
        goodput++;
        latencies.push(latencyMs);
      }
    }
    completions.delete(timeMs);
    const arrivals: Array<Promise<ConcurrencyPermit>> = [];
    for (let count = arrivalsIn(timeMs); count > 0; count--) arrivals.push(limiter.acquire());
    for (const arrival of await Promise.allSettled(arrivals)) {
      if (arrival.status === 'rejected') {
        rejected++;
        continue;
      }
      const latencyMs = Math.ceil(baseLatencyMs * Math.max(1, ++active / capacity) + lag());
      const timeoutMs = scenario.timeoutMs;
      if (timeoutMs !== undefined && latencyMs > timeoutMs) {
        schedule(timeMs + timeoutMs, { permit: arrival.value, outcome: 'dropped', latencyMs: timeoutMs });
        schedule(timeMs + latencyMs, { permit: undefined, outcome: 'done', latencyMs });
      } else {
        schedule(timeMs + latencyMs, { permit: arrival.value, outcome: 'success', latencyMs });
      }
    }
    if ((timeMs + 1) % 1_000 === 0) {
      goodputPerSecond.push(goodput);
      goodput = 0;
    }
    if (timeMs % scenario.sampleEveryMs === 0) points.push({ timeMs, limit: limiter.limit, capacity });
  }
  return { scenario, points, goodputPerSecond, latencies, rejected, dropped };
}

/** Each call's lag, in ms: exponential with mean `meanMs` at seeded random, or always 0 when `meanMs` is 0. */
export function lagSampler(meanMs: number): () => number {
  if (meanMs === 0) return () => 0;
  const random = seededRandom(LAG_SEED);
  return () => -Math.log(1 - random()) * meanMs;
}

/**
 * How many requests arrive in the ms that starts at `timeMs`, called once per ms in order: `rate`
 * per ms, evenly (a fraction carried to the next ms) or at seeded random instants (exponential gaps).
 */
export function arrivalCounter(arrivals: 'even' | 'random', rate: number): (timeMs: number) => number {
  if (arrivals === 'even') {
    let owed = 0;
    return () => {
      owed += rate;
      const count = Math.floor(owed);
      owed -= count;
      return count;
    };
  }
  const random = seededRandom(ARRIVALS_SEED);
  const gap = () => -Math.log(1 - random()) / rate;
  let next = gap();
  return (timeMs) => {
    let count = 0;
    for (; next < timeMs + 1; next += gap()) count++;
    return count;
  };
}
