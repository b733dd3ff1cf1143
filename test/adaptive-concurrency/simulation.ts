/**
 * A deterministic simulation of clients that keep an AdaptiveConcurrencyLimiter saturated in front
 * of a server whose latency rises steeply above its capacity. Shared by the convergence test
 * (simulation.test.ts) and the plot script (bench/adaptive-plot.ts).
 *
 * Time is a ManualClock: nothing sleeps for real, and the same scenario gives the same trace.
 */
import { AdaptiveConcurrencyLimiter, type LimitAlgorithmName } from '../../src/adaptive-concurrency/index';
import { OperationTimeoutError } from '../../src/index';
import { ManualClock } from '../support/manual-clock';

/** The simulated dependency. */
export interface ServerModel {
  /** Concurrent calls it serves at `baseLatencyMs`. */
  readonly capacity: number;
  /** Latency of a call that arrives with at most `capacity` calls in progress, in ms. */
  readonly baseLatencyMs: number;
  /**
   * How steeply latency rises above capacity: a call arriving with `active` calls in progress
   * (itself included) takes `baseLatencyMs × (1 + steepness × (active − capacity) / capacity)`.
   * 1 is a server that shares its capacity fairly (latency ∝ active / capacity).
   */
  readonly steepness: number;
  /** Clients give up on a call after this long, in ms: it fails with OperationTimeoutError. */
  readonly timeoutMs: number;
}

/** One run: who calls, for how long, and how the server's capacity changes. */
export interface Scenario {
  readonly algorithm: LimitAlgorithmName;
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /** Clients, each calling again as soon as its call ends; more than `maxLimit` saturates the limiter. */
  readonly clients: number;
  readonly server: ServerModel;
  /** The server's capacity from a given time on (ms since the start), replacing `server.capacity`. */
  readonly capacityChanges: ReadonlyArray<{ readonly atMs: number; readonly capacity: number }>;
  readonly durationMs: number;
  /** How often the limit is recorded, in ms. */
  readonly sampleEveryMs: number;
  /** Seed of the random source handed to the limiter (Vegas's probe interval). */
  readonly seed: number;
}

/** The limit (and the server's capacity) at one instant. */
export interface TracePoint {
  readonly timeMs: number;
  readonly limit: number;
  readonly capacity: number;
  readonly inFlight: number;
}

/** What a run produced. */
export interface Trace {
  readonly scenario: Scenario;
  readonly points: readonly TracePoint[];
  readonly successes: number;
  readonly timeouts: number;
}

/**
 * The server of every scenario: capacity 60 at 20 ms; above it each extra call adds a third of
 * the base latency (20 ms × 20 / 60), so that at 10 % over capacity calls take 3× as long and the
 * clients' 60 ms timeout starts dropping them.
 */
export const DEFAULT_SERVER: ServerModel = { capacity: 60, baseLatencyMs: 20, steepness: 20, timeoutMs: 60 };

/** When the capacity halves in the `capacityHalves` scenario, in ms since the start. */
export const HALVING_AT_MS = 8_000;

/**
 * The scenarios the test asserts and the plot draws, for one algorithm: starting 10× below the
 * capacity, starting 8× above it, and the capacity halving mid-run. Each has 9 clients per unit
 * of capacity, so that the limiter always has calls waiting.
 */
export function scenarios(algorithm: LimitAlgorithmName): Record<'fromBelow' | 'fromAbove' | 'capacityHalves', Scenario> {
  const capacity = DEFAULT_SERVER.capacity;
  const base = {
    algorithm,
    minLimit: 1,
    maxLimit: 10 * capacity,
    clients: 9 * capacity,
    server: DEFAULT_SERVER,
    capacityChanges: [],
    sampleEveryMs: 20,
    seed: 7,
  };
  return {
    fromBelow: { ...base, initialLimit: capacity / 10, durationMs: 10_000 },
    fromAbove: { ...base, initialLimit: 8 * capacity, durationMs: 10_000 },
    capacityHalves: {
      ...base,
      initialLimit: capacity,
      capacityChanges: [{ atMs: HALVING_AT_MS, capacity: capacity / 2 }],
      durationMs: 2 * HALVING_AT_MS,
    },
  };
}

/** A small seeded PRNG (mulberry32), so that runs are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Runs `scenario` to its end on a manual clock and returns the trace of the limit. */
export async function simulate(scenario: Scenario): Promise<Trace> {
  const clock = new ManualClock(0);
  const { server } = scenario;
  const limiter = new AdaptiveConcurrencyLimiter({
    algorithm: scenario.algorithm,
    initialLimit: scenario.initialLimit,
    minLimit: scenario.minLimit,
    maxLimit: scenario.maxLimit,
    maxWaitMs: scenario.durationMs * 10,
    clock,
    registry: false,
    ...(scenario.algorithm === 'vegas' ? { random: seededRandom(scenario.seed) } : {}),
  });
  let capacity = server.capacity;
  let active = 0;
  let running = true;
  let successes = 0;
  let timeouts = 0;

  const call = async (): Promise<void> => {
    if (!running) return;
    const arriving = ++active;
    const excess = Math.max(0, arriving - capacity) / capacity;
    const latencyMs = server.baseLatencyMs * (1 + server.steepness * excess);
    try {
      await clock.sleep(Math.min(latencyMs, server.timeoutMs));
    } finally {
      active--;
    }
    if (latencyMs > server.timeoutMs) {
      timeouts++;
      throw new OperationTimeoutError('simulated-client', server.timeoutMs);
    }
    successes++;
  };
  const client = async (): Promise<void> => {
    while (running) {
      try {
        await limiter.execute(call);
      } catch {
        // A timeout or a rejection: the client calls again at once.
      }
    }
  };
  const clients = Array.from({ length: scenario.clients }, client);

  const points: TracePoint[] = [];
  const record = (timeMs: number) => points.push({ timeMs, limit: limiter.limit, capacity, inFlight: limiter.inFlight });
  const changes = [...scenario.capacityChanges].sort((a, b) => a.atMs - b.atMs);
  record(0);
  for (let timeMs = 0; timeMs < scenario.durationMs; ) {
    const change = changes[0];
    if (change !== undefined && change.atMs <= timeMs) {
      capacity = change.capacity;
      changes.shift();
    }
    const step = Math.min(scenario.sampleEveryMs, scenario.durationMs - timeMs);
    await clock.advance(step);
    timeMs += step;
    record(timeMs);
  }

  // Drain: no new work; every call in flight or waiting ends within a few timeouts.
  running = false;
  while (limiter.inFlight > 0 || limiter.stats().queued > 0) await clock.advance(server.timeoutMs);
  await Promise.all(clients);
  return { scenario, points, successes, timeouts };
}
