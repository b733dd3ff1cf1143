/**
 * The benchmark rows: a declarative list of `{ group, library, fn }`, where `fn` makes ONE call
 * of the shared operation through one library's policy and returns its promise.
 *
 * Every row wraps the same operation ({@link operation}, `async () => 1`), and every policy is built
 * outside the timed loop. In every group but two, every call succeeds at the first try without
 * reaching any limit, so those rows measure the cost of the happy path: what a policy adds to
 * every call. The `breaker-open` group measures the other side of a circuit breaker: each row's
 * breaker has been tripped open, so every call is refused without running the operation, and `fn`
 * awaits the rejection and swallows it (`.catch(noop)`, the same for every library). Such rows say
 * so with `outcome: 'rejected'` and a `verify` that proves the call really was refused by an open
 * breaker (see `run.ts`).
 *
 * The `bulkhead-concurrent` group is the other exception, and the only one to "one call": each
 * `fn` fires {@link CONCURRENT_CALLS} calls at once through a bulkhead of 10 slots and awaits them
 * all, so 10 run and 990 queue; its {@link Group.callsPerOp} tells `measure.ts` to divide the time
 * by that count, so that its ns/op stays per call like every other row's (the table prints the
 * time per batch below it). Its `fn` resolves to the operation's value only when every call did, and
 * its `verify` proves that each library really held the batch to 10 calls at a time.
 *
 * Rows must not leave timers running between rows: while any timer of some duration exists, Node
 * reuses its timer list for that duration and `setTimeout(…, 1000)` costs ~200 ns less, which
 * would flatter or penalise the timeout rows depending on who else runs. opossum's defaults start
 * a 1000 ms interval (its rolling-window buckets), and opening it starts its 30 s reset timer, so
 * each opossum breaker is created in the row's `setup` and shut down in its `teardown`, which
 * tinybench calls around each phase of that row only. The open-breaker rows of the other libraries
 * are made the same way (a fresh breaker tripped in `setup`), so that every library's open row
 * starts each phase from the same state; neither bulwark nor cockatiel starts a timer for that.
 *
 * The `timeout-budgets-*` groups measure one call at a time too, but on a Timeout that already has
 * {@link TIMEOUT_BUDGET_IN_FLIGHT} calls in flight, each with a random budget of its own: `setup`
 * starts them and keeps them waiting, `teardown` lets them return and waits until none is in flight,
 * so that the Timeout's timer (armed for the earliest of them, ≥ 10 s away) lives only as long as
 * the row's phase. They show that a call's cost does not grow with the calls in flight.
 *
 * To add a row, append a `{ group, library, fn }` entry to the list in {@link createCases}; to add
 * a group, add it to {@link GROUPS} too. Goals that compare the rows live in `goals.ts`.
 * @module
 */
import {
  BrokenCircuitError,
  bulkhead as cockatielBulkhead,
  CircuitState as CockatielCircuitState,
  ConsecutiveBreaker,
  IsolatedCircuitError,
  SamplingBreaker,
  TimeoutStrategy,
  circuitBreaker as cockatielCircuitBreaker,
  fallback as cockatielFallback,
  handleAll,
  retry as cockatielRetry,
  timeout as cockatielTimeout,
  wrap as cockatielWrap,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import OpossumBreaker from 'opossum';
import pLimit from 'p-limit';
import pRetry from 'p-retry';
import type { Redis } from 'ioredis';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { BulwarkModule } from './bulwark';
import { MIDDLEWARE_GROUPS, middlewareCases } from './middleware-cases';
import { OBSERVABILITY_GROUPS, observabilityCases } from './observability-cases';
import { REDIS_CLIENT_GROUPS, redisClientCases } from './redis-client-cases';
import { benchConnection, REDIS_PREFIX, REDIS_URL, redisAnswers } from './redis-connection';

/**
 * Libraries that appear in the table; `baseline` is the bare call without any policy, or in a
 * group that has its own `baseline` row, the group's work without any policy (e.g. a request
 * through a middleware that calls `next` at once), which the group's overheads are measured against.
 */
export type Library =
  | 'baseline'
  | 'bulwark'
  | 'bulwark-sliding-log'
  | 'bulwark-token-bucket'
  | 'cockatiel'
  | 'p-retry'
  | 'p-limit'
  | 'opossum'
  | 'rate-limiter-flexible'
  | 'rate-limiter-flexible-bursty'
  | 'ioredis-evalsha'
  | 'ioredis'
  | 'express-rate-limit'
  | 'bentocache'
  | 'cache-manager'
  | 'bulwark-unbatched'
  | 'prom-client'
  | 'floor';

/** A group of rows that do the same job, compared with each other. */
export interface Group {
  /** Stable id, used in results.json and by the goals. */
  readonly id: string;
  /** Short label printed in the table. */
  readonly label: string;
  /** What each library in the group is configured as. */
  readonly description: string;
  /**
   * Calls of the operation that one `fn` of the group's rows makes (default 1). The harness
   * divides each `fn`'s time by it, so that ns/op is per call in every group; see `measure.ts`.
   */
  readonly callsPerOp?: number;
  /**
   * `fn` calls per latency sample, instead of `BENCH_BATCH ÷ callsPerOp`: 1 for rows whose one op
   * takes milliseconds (a flush, a collection), so that a sample is one op.
   */
  readonly opsPerSample?: number;
  /**
   * Measure the group's rows in this many alternating slices per run (default 1: each row in one
   * go); see `measure.ts`.
   */
  readonly slices?: number;
}

/** One benchmark row. */
export interface BenchCase {
  /** Id of the {@link Group} the row belongs to. */
  readonly group: string;
  /** Library the row measures. */
  readonly library: Library;
  /**
   * Makes one call of {@link operation} through the library's policy; for a `rejected` row, one
   * refused call whose rejection it catches.
   */
  readonly fn: () => Promise<unknown>;
  /**
   * What every call of the row does: `value` (the default) resolves to the operation's value;
   * `rejected` is refused by the policy, and `fn` resolves to undefined after catching that.
   */
  readonly outcome?: 'value' | 'rejected';
  /**
   * Throws unless the row measures what it claims (e.g. that its breaker is open and refuses a
   * call with its open-circuit error); `run.ts` calls it after `setup`, before measuring.
   */
  readonly verify?: () => Promise<void>;
  /**
   * Creates what `fn` needs that must not outlive the row (timers, a tripped breaker); called
   * before each phase (warmup and measurement) and awaited.
   */
  readonly setup?: () => void | Promise<void>;
  /**
   * Undoes `setup`; called after each phase and awaited. Rows with a `verify` also check there that
   * the phase ended in the state it measured (e.g. the breaker was still open), and throw if not.
   */
  readonly teardown?: () => void | Promise<void>;
}

/** The rows plus a way to release anything a failed run left behind. */
export interface CaseSet {
  /** Every row, in display order: groups in {@link GROUPS} order, the baseline first. */
  readonly cases: readonly BenchCase[];
  /** Runs every row's `teardown`; call once at the end, even after an error. */
  dispose(): void;
  /** Lines for the report, e.g. rows left out because the measured bulwark lacks a feature. */
  readonly notes: readonly string[];
}

/** The operation every row runs: the cheapest possible async call. */
export const operation = async (): Promise<number> => 1;

/** Id of the group whose single row is the bare call that overheads are measured against. */
export const BARE_GROUP = 'bare';

/** Id of the group whose rows are calls refused by an open circuit breaker. */
export const BREAKER_OPEN_GROUP = 'breaker-open';

/** Id of the group whose rows each fire {@link CONCURRENT_CALLS} calls at once through a bulkhead. */
export const BULKHEAD_CONCURRENT_GROUP = 'bulkhead-concurrent';

/** Calls that one `fn` of the {@link BULKHEAD_CONCURRENT_GROUP} rows fires at once. */
export const CONCURRENT_CALLS = 1000;

/** Concurrent calls every bulkhead row lets run at once. */
const BULKHEAD_LIMIT = 10;

/** Distinct keys the `rate-limit-10k-keys*` rows cycle through. */
export const RATE_LIMIT_KEYS = 10_000;

/**
 * Window of the sliding-log rows, in ms. A sliding log keeps one entry per distinct ms with an
 * admission in the window (admissions in the same ms share one), so its memory is
 * O(min(limit, windowMs)) per key: 100 ms keeps ≤ 100 entries per key (≤ ~16 MB for 10,000 keys),
 * where a 60 s window would keep up to 60,000 per key.
 */
const SLIDING_LOG_WINDOW_MS = 100;

/** A limit no row can reach in one window: every call is admitted. */
const NEVER_REACHED = 1e9;

/**
 * The token bucket of the `*-bucket` rows and `bulwark-token-bucket`: {@link NEVER_REACHED} tokens
 * refilled at a token a second. No row empties it (every call is admitted), and no key's bucket is
 * full again during a run, so that keys stay, as they do in rate-limiter-flexible's 60 s window (a
 * full bucket is forgotten, and its key made afresh by the next call).
 */
const BUCKET = { algorithm: 'token-bucket', rate: { tokens: 1, perMs: 1_000 }, burst: NEVER_REACHED } as const;

const rateLimitPeer =
  'rate-limiter-flexible `new RateLimiterMemory({ points: 1e9, duration: 60 })` (a fixed-window counter), `consume(key)`';

/** Id of the group whose rows make one Redis rate-limit call at a time. */
export const REDIS_SEQUENTIAL_GROUP = 'redis-rl-sequential';

/** Id of the group whose rows each fire {@link REDIS_IN_FLIGHT} Redis rate-limit calls at once. */
export const REDIS_IN_FLIGHT_GROUP = 'redis-rl-100-in-flight';

/** Calls that one `fn` of the {@link REDIS_IN_FLIGHT_GROUP} rows fires at once. */
export const REDIS_IN_FLIGHT = 100;

/**
 * `timeoutMs` of the bench's RedisStores: a stall of a loaded machine longer than the default
 * 100 ms would fail a decision (and the run) without being what the rows measure; the timer per
 * decision costs the same whatever its delay.
 */
const STALL_TOLERANT_TIMEOUT_MS = 2_000;

/** Distinct keys the {@link REDIS_IN_FLIGHT_GROUP} rows cycle through. */
const REDIS_KEYS = 1_000;

/**
 * Slices per run of the rate limiter groups: their rows keep large stores or share a Redis
 * server, so their speed drifts with the machine's load; they are measured interleaved (see
 * `measure.ts`).
 */
const RATE_LIMIT_SLICES = 4;

/** Calls kept in flight by the rows of the `timeout-budgets-*` groups, one group per count. */
export const TIMEOUT_BUDGET_IN_FLIGHT = [1_000, 10_000, 100_000] as const;

/** Id of the `timeout-budgets-*` group with `inFlight` calls in flight, e.g. `timeout-budgets-10k`. */
export function timeoutBudgetGroup(inFlight: number): string {
  return `timeout-budgets-${inFlight / 1_000}k`;
}

/** Shortest per-call budget of the `timeout-budgets-*` rows, in ms: far beyond any phase. */
const TIMEOUT_BUDGET_MIN_MS = 10_000;

/** The `timeoutMs` of the `timeout-budgets-*` rows' Timeout, and the longest per-call budget. */
const TIMEOUT_BUDGET_MAX_MS = 60_000;


const redisRows =
  "bulwark `new RateLimiter({ limit: 1e9, windowMs: 60_000, algorithm: 'sliding-window', store: new RedisStore({ redis, prefix, timeoutMs: 2_000 }) })`; " +
  "bulwark-sliding-log: the same with `algorithm: 'sliding-log', windowMs: 100`; " +
  "bulwark-token-bucket: the same with `algorithm: 'token-bucket', rate: { tokens: 1, perMs: 1_000 }, burst: 1e9`; " +
  'rate-limiter-flexible `new RateLimiterRedis({ storeClient: redis, keyPrefix, points: 1e9, duration: 60 })`; ' +
  'rate-limiter-flexible-bursty: its answer to bursts, `new BurstyRateLimiter(that limiter, a second RateLimiterRedis with points: 1e9, duration: 60)` ' +
  '(the burst limiter is asked only when the first refuses, which no row makes it do); ' +
  "ioredis-evalsha: the ceiling, a `defineCommand` script `return 1` (EVALSHA) on the same connection. " +
  'One ioredis connection per group, shared by its rows';

/** Every group, in display order. */
export const GROUPS: readonly Group[] = [
  { id: BARE_GROUP, label: 'bare call', description: '`await (async () => 1)()`' },
  {
    id: 'retry',
    label: 'retry, no retry',
    description:
      'bulwark `new Retry()`; cockatiel `retry(handleAll, { maxAttempts: 3 })`; p-retry `pRetry(fn, { retries: 2 })`',
  },
  {
    id: 'retry-1-listener',
    label: 'retry, 1 listener',
    description:
      "as `retry`, plus one no-op listener on the event every successful call fires: bulwark `events.on('success')`, cockatiel `onSuccess`",
  },
  {
    id: 'timeout-aggressive',
    label: 'timeout 1s aggr.',
    description: "bulwark `new Timeout({ timeoutMs: 1000 })` (aggressive); cockatiel `timeout(1000, TimeoutStrategy.Aggressive)`",
  },
  {
    id: 'timeout-cooperative',
    label: 'timeout 1s coop.',
    description:
      "bulwark `new Timeout({ timeoutMs: 1000, strategy: 'cooperative' })`; cockatiel `timeout(1000, TimeoutStrategy.Cooperative)`",
  },
  ...TIMEOUT_BUDGET_IN_FLIGHT.map(
    (inFlight): Group => ({
      id: timeoutBudgetGroup(inFlight),
      label: `timeout, own budgets, ${inFlight.toLocaleString('en-US')} in flight`,
      description:
        `bulwark \`new Timeout({ timeoutMs: ${TIMEOUT_BUDGET_MAX_MS} })\` with ${inFlight.toLocaleString('en-US')} calls in flight, ` +
        `each started with a random \`{ timeoutMs }\` in [${TIMEOUT_BUDGET_MIN_MS}, ${TIMEOUT_BUDGET_MAX_MS}) ms; each measured call passes ` +
        'a random budget from the same range, so calls arrive out of deadline order. No peer: compare the groups ' +
        `(goal: ≤ 2× the ${timeoutBudgetGroup(TIMEOUT_BUDGET_IN_FLIGHT[0])} time per call)`,
    }),
  ),
  {
    id: 'fallback',
    label: 'fallback, not used',
    description: 'bulwark `new Fallback({ fallback: () => 0 })`; cockatiel `fallback(handleAll, () => 0)`; the parts of `compose` measured alone',
  },
  {
    id: 'compose',
    label: 'fallback+retry+timeout',
    description:
      'bulwark `compose(new Fallback(...), new Retry(), new Timeout({ timeoutMs: 1000 }))`; cockatiel `wrap(fallback(handleAll, ...), retry(handleAll, ...), timeout(1000, Aggressive))` (outermost first)',
  },
  {
    id: 'breaker-consecutive',
    label: 'breaker closed, consec.',
    description:
      'bulwark `new CircuitBreaker()` (consecutive mode, 5 failures); cockatiel `circuitBreaker(handleAll, { halfOpenAfter: 60_000, breaker: new ConsecutiveBreaker(5) })`; ' +
      'opossum `new CircuitBreaker(fn)` with its defaults (a 10 s rolling window, 50 %, and a 10 s per-call timeout), `breaker.fire()`',
  },
  {
    id: 'breaker-time-window',
    label: 'breaker closed, time win.',
    description:
      "bulwark `new CircuitBreaker({ window: { type: 'time', durationMs: 10_000 }, minimumCalls: 10, failureRateThreshold: 0.5 })`; " +
      'cockatiel `circuitBreaker(handleAll, { halfOpenAfter: 60_000, breaker: new SamplingBreaker({ threshold: 0.5, duration: 10_000, minimumRps: 1 }) })` ' +
      '(1 rps over 10 s = at least 10 calls, as bulwark); opossum with its defaults, as in `breaker-consecutive`',
  },
  {
    id: BREAKER_OPEN_GROUP,
    label: 'breaker open (rejection)',
    description:
      'each library\'s consecutive breaker tripped open, every call refused and its rejection caught with `.catch(noop)`: ' +
      'bulwark `new CircuitBreaker({ recoveryTimeoutMs: 86_400_000 })` after 5 failures (state `open`, not `isolated`); ' +
      'cockatiel `ConsecutiveBreaker(5)`, `halfOpenAfter: 86_400_000`, after 5 failures (`BrokenCircuitError`); ' +
      'opossum with its defaults after `breaker.open()` (`EOPENBREAKER`)',
  },
  {
    id: 'bulkhead',
    label: 'bulkhead, 1 call',
    description:
      'one call at a time through a bulkhead of 10 slots (never full): bulwark `new Bulkhead({ maxInFlight: 10, registry: false })`; ' +
      'cockatiel `bulkhead(10)`; p-limit `pLimit(10)`, `limit(fn)`',
  },
  {
    id: BULKHEAD_CONCURRENT_GROUP,
    label: 'bulkhead, 1,000 conc. (per call)',
    description:
      `each op fires ${CONCURRENT_CALLS} calls at once through a bulkhead of 10 slots (10 run, 990 queue) and awaits them all ` +
      '(`Promise.all`); ns/op is PER CALL: the batch time ÷ 1,000 (per batch: × 1,000). ' +
      'bulwark `new Bulkhead({ maxInFlight: 10, maxQueue: 1000, registry: false })`; cockatiel `bulkhead(10, 1000)`; p-limit `pLimit(10)`. ' +
      "The issue's reference, per batch of 1,000 on its machine: cockatiel 668 555 ns, p-limit 886 945 ns",
    callsPerOp: CONCURRENT_CALLS,
  },
  {
    id: 'adaptive-acquire',
    label: 'AIMD acquire+release',
    description:
      "bulwark `new AdaptiveConcurrencyLimiter({ algorithm: 'aimd', initialLimit: 1000, rttTolerance: 1e6, registry: false })` (one call in flight: " +
      "never at the limit, and the limit never moves): `const permit = await limiter.acquire(); const value = await fn(); permit.release('success')`; " +
      'no peer: read the overhead against the bare call',
  },
  {
    id: 'adaptive-execute',
    label: 'AIMD execute',
    description: 'the same limiter as `adaptive-acquire`: `limiter.execute(fn)`; no peer: read the overhead against the bare call',
  },
  {
    id: 'load-shedder',
    label: 'load shedder, admitted',
    description:
      "bulwark `new LoadShedder({ maxInFlight: 1000, registry: false })`, far from its thresholds (no signals): the cost of admission; no peer: read the overhead against the bare call",
  },
  {
    id: 'backpressure',
    label: 'backpressure, not paused',
    description:
      'bulwark `new Backpressure({ highWaterMark: 1000, registry: false })`, never paused: the cost of counting; no peer: read the overhead against the bare call',
  },
  {
    id: 'rate-limit-1-key',
    label: 'rate limit, 1 key',
    description:
      "every call admitted, one key: bulwark `new RateLimiter({ limit: 1e9, windowMs: 60_000, algorithm: 'sliding-window', registry: false })` " +
      "(default MemoryStore), `await limiter.consume('user-1')`; " +
      `${rateLimitPeer}. sliding-window (O(1) per key) is the fair match for a fixed-window counter; ` +
      'the default sliding-log is measured in `rate-limit-1-key-log`',
    slices: RATE_LIMIT_SLICES,
  },
  {
    id: 'rate-limit-10k-keys',
    label: 'rate limit, 10,000 keys',
    description:
      `as \`rate-limit-1-key\`, cycling through ${RATE_LIMIT_KEYS.toLocaleString('en-US')} precomputed keys ('user-0' …): ` +
      'bulwark with `store: new MemoryStore({ maxKeys: 20_000 })` (no key is ever evicted)',
    slices: RATE_LIMIT_SLICES,
  },
  {
    id: 'rate-limit-1-key-log',
    label: 'rate limit, 1 key, sliding-log',
    description:
      `as \`rate-limit-1-key\`, bulwark with its default (exact) sliding-log: \`limit: 1e9, windowMs: ${SLIDING_LOG_WINDOW_MS}\`. ` +
      'A sliding log keeps an entry per distinct ms with admissions in the window (O(min(limit, windowMs)) per key), ' +
      `so a 60 s window would hold up to 60,000 entries per key; ${SLIDING_LOG_WINDOW_MS} ms keeps it ≤ ${SLIDING_LOG_WINDOW_MS} while a limit of 1e9 ` +
      'per window is never reached. Peer: the same rate-limiter-flexible configuration (a fresh instance)',
    slices: RATE_LIMIT_SLICES,
  },
  {
    id: 'rate-limit-10k-keys-log',
    label: 'rate limit, 10,000 keys, sliding-log',
    description: 'as `rate-limit-1-key-log`, cycling through the keys of `rate-limit-10k-keys`; bulwark with `MemoryStore({ maxKeys: 20_000 })`',
    slices: RATE_LIMIT_SLICES,
  },
  {
    id: 'rate-limit-1-key-bucket',
    label: 'rate limit, 1 key, token-bucket',
    description:
      "as `rate-limit-1-key`, bulwark with `algorithm: 'token-bucket', rate: { tokens: 1, perMs: 1_000 }, burst: 1e9` " +
      '(one number per key, GCRA; a bucket no row empties, nor refills during a run). Peer: the same rate-limiter-flexible configuration (a fresh instance). ' +
      'floor: no library, the least a decision can do (the same GCRA inline on one number: one clock read, one result object, one promise)',
    slices: RATE_LIMIT_SLICES,
  },
  {
    id: 'rate-limit-10k-keys-bucket',
    label: 'rate limit, 10,000 keys, token-bucket',
    description: 'as `rate-limit-1-key-bucket`, cycling through the keys of `rate-limit-10k-keys`; bulwark with `MemoryStore({ maxKeys: 20_000 })`',
    slices: RATE_LIMIT_SLICES,
  },
  {
    id: REDIS_SEQUENTIAL_GROUP,
    label: 'redis rate limit, 1 key, sequential',
    description: `one call at a time, key 'user-1', against ${REDIS_URL}: ${redisRows}`,
    slices: RATE_LIMIT_SLICES,
  },
  {
    id: REDIS_IN_FLIGHT_GROUP,
    label: `redis rate limit, ${REDIS_IN_FLIGHT} in flight (per call)`,
    description:
      `each op fires ${REDIS_IN_FLIGHT} calls at once over ${REDIS_KEYS.toLocaleString('en-US')} keys (cycling) and awaits them all; ` +
      `ns/op is PER CALL (batch time ÷ ${REDIS_IN_FLIGHT}). As \`${REDIS_SEQUENTIAL_GROUP}\`: ${redisRows}`,
    callsPerOp: REDIS_IN_FLIGHT,
    slices: RATE_LIMIT_SLICES,
  },
  ...REDIS_CLIENT_GROUPS,
  ...MIDDLEWARE_GROUPS,
  ...OBSERVABILITY_GROUPS,
];

/** Slices in which group `groupId`'s rows are measured in each run; see {@link Group.slices}. */
export function slicesOf(groupId: string): number {
  return GROUPS.find((group) => group.id === groupId)?.slices ?? 1;
}

/** `fn` calls per latency sample of group `groupId`'s rows, when the group sets it; see {@link Group.opsPerSample}. */
export function opsPerSampleOf(groupId: string): number | undefined {
  return GROUPS.find((group) => group.id === groupId)?.opsPerSample;
}

/** Calls that one `fn` of group `groupId`'s rows makes; see {@link Group.callsPerOp}. */
export function callsPerOp(groupId: string): number {
  return GROUPS.find((group) => group.id === groupId)?.callsPerOp ?? 1;
}

const noop = (): void => {};

/** A day: long enough that no open breaker moves to half-open during a bench session. */
const DAY_MS = 86_400_000;

/** The operation that trips the breakers of the `breaker-open` rows. */
const failingOperation = async (): Promise<number> => {
  throw new Error('bench: tripping the breaker');
};

/** Throws `message` unless `condition` holds. */
function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`bench: ${message}`);
}

/** The rejection of one call, or a thrown error when the call resolved. */
async function rejectionOf(call: Promise<unknown>, row: string): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error(`bench: ${row}: the call resolved, but the breaker should have refused it`);
}

/** One call of the operation through some library's bulkhead. */
type Call = () => Promise<number>;

/**
 * Fires {@link CONCURRENT_CALLS} calls of `call` at once and awaits them all: the `fn` of every
 * {@link BULKHEAD_CONCURRENT_GROUP} row, so that all libraries pay the same for the batch itself.
 * @returns the operation's value (1) when every call resolved to it, 0 otherwise
 */
async function fireConcurrently(call: Call): Promise<number> {
  const calls = new Array<Promise<number>>(CONCURRENT_CALLS);
  for (let i = 0; i < CONCURRENT_CALLS; i++) calls[i] = call();
  const values = await Promise.all(calls);
  for (let i = 0; i < CONCURRENT_CALLS; i++) if (values[i] !== 1) return 0;
  return 1;
}

/**
 * Throws unless `through` holds a batch of {@link CONCURRENT_CALLS} calls to exactly
 * {@link BULKHEAD_LIMIT} at a time: fires the batch with an operation that stays in flight for a
 * few turns and counts how many run at once.
 */
async function verifyLimit(row: string, through: (operation: () => Promise<number>) => Promise<number>): Promise<void> {
  let running = 0;
  let peak = 0;
  let ran = 0;
  const counted = async (): Promise<number> => {
    running++;
    ran++;
    if (running > peak) peak = running;
    for (let turn = 0; turn < 3; turn++) await null;
    running--;
    return 1;
  };
  const value = await fireConcurrently(() => through(counted));
  check(value === 1 && ran === CONCURRENT_CALLS, `${row}: ${ran} of ${CONCURRENT_CALLS} calls ran`);
  check(peak === BULKHEAD_LIMIT, `${row}: at most ${peak} calls ran at once, expected ${BULKHEAD_LIMIT}`);
}

/**
 * `acquire`, the operation, then `release('success')`: what code that cannot pass a function to
 * the limiter writes.
 */
async function acquireAndRelease(limiter: { acquire(): Promise<{ release(outcome: 'success'): void }> }): Promise<number> {
  const permit = await limiter.acquire();
  const value = await operation();
  permit.release('success');
  return value;
}

/**
 * Builds every policy once and returns the rows that call through them.
 * @param bulwark - the bulwark module to measure (see `bulwark.ts`: built like the package, or src)
 * @returns the rows and a `dispose` that stops the peers' background timers
 */
export function createCases(bulwark: BulwarkModule): CaseSet {
  const { Bulkhead, CircuitBreaker, CircuitOpenError, Fallback, Retry, Timeout, compose } = bulwark;
  const notes: string[] = [];

  // bulwark
  const bwRetry = new Retry({ name: 'bench-retry' });
  const bwRetryListened = new Retry({ name: 'bench-retry-listened' });
  bwRetryListened.events.on('success', noop);
  const bwTimeout = new Timeout({ name: 'bench-timeout', timeoutMs: 1000 });
  const bwTimeoutCoop = new Timeout({ name: 'bench-timeout-coop', timeoutMs: 1000, strategy: 'cooperative' });
  const bwFallback = new Fallback({ name: 'bench-fallback', fallback: () => 0 });
  const bwComposed = compose(
    new Fallback({ name: 'bench-compose-fallback', fallback: () => 0 }),
    new Retry({ name: 'bench-compose-retry' }),
    new Timeout({ name: 'bench-compose-timeout', timeoutMs: 1000 }),
  );

  // cockatiel
  const ckRetry = cockatielRetry(handleAll, { maxAttempts: 3 });
  const ckRetryListened = cockatielRetry(handleAll, { maxAttempts: 3 });
  ckRetryListened.onSuccess(noop);
  const ckTimeout = cockatielTimeout(1000, TimeoutStrategy.Aggressive);
  const ckTimeoutCoop = cockatielTimeout(1000, TimeoutStrategy.Cooperative);
  const ckFallback = cockatielFallback(handleAll, () => 0);
  const ckComposed = cockatielWrap(
    cockatielFallback(handleAll, () => 0),
    cockatielRetry(handleAll, { maxAttempts: 3 }),
    cockatielTimeout(1000, TimeoutStrategy.Aggressive),
  );

  // p-retry: one options object, as a caller would hoist it (p-retry copies it per call)
  const pRetryOptions = { retries: 2 };

  // circuit breakers, closed: built once (none of them starts a timer but opossum's)
  const bwBreaker = new CircuitBreaker({ name: 'bench-breaker', registry: false });
  const bwWindowBreaker = new CircuitBreaker({
    name: 'bench-breaker-time-window',
    registry: false,
    window: { type: 'time', durationMs: 10_000 },
    minimumCalls: 10,
    failureRateThreshold: 0.5,
  });
  const ckBreaker = cockatielCircuitBreaker(handleAll, { halfOpenAfter: 60_000, breaker: new ConsecutiveBreaker(5) });
  const ckSamplingBreaker = cockatielCircuitBreaker(handleAll, {
    halfOpenAfter: 60_000,
    breaker: new SamplingBreaker({ threshold: 0.5, duration: 10_000, minimumRps: 1 }),
  });

  // opossum: created per phase of its own row, see the module comment
  const opossumRow = (open: boolean) => {
    let breaker: OpossumBreaker<[], number> | undefined;
    return {
      get: () => breaker as OpossumBreaker<[], number>,
      setup: (): void => {
        breaker?.shutdown();
        breaker = new OpossumBreaker(operation);
        if (open) breaker.open();
      },
      teardown: (): void => {
        const current = breaker;
        breaker = undefined;
        if (current === undefined) return;
        const wasOpen = current.opened;
        current.shutdown();
        if (open) check(wasOpen, 'opossum breaker ended the phase closed');
      },
    };
  };
  const opConsecutive = opossumRow(false);
  const opTimeWindow = opossumRow(false);
  const opOpen = opossumRow(true);

  // circuit breakers, open: a fresh breaker per phase, tripped by 5 failures (see the module
  // comment); teardown checks that it was still open at the end of the phase.
  let bwOpen: InstanceType<typeof CircuitBreaker> | undefined;
  const bwOpenSetup = async (): Promise<void> => {
    bwOpen?.dispose();
    bwOpen = new CircuitBreaker({ name: 'bench-breaker-open', registry: false, recoveryTimeoutMs: DAY_MS });
    for (let i = 0; i < 5; i++) await bwOpen.execute(failingOperation).catch(noop);
  };
  const bwOpenTeardown = (): void => {
    const breaker = bwOpen;
    bwOpen = undefined;
    breaker?.dispose();
    if (breaker !== undefined) check(breaker.state === 'open', `bulwark breaker ended the phase ${breaker.state}`);
  };
  let ckOpen: CircuitBreakerPolicy | undefined;
  const ckOpenSetup = async (): Promise<void> => {
    ckOpen = cockatielCircuitBreaker(handleAll, { halfOpenAfter: DAY_MS, breaker: new ConsecutiveBreaker(5) });
    for (let i = 0; i < 5; i++) await ckOpen.execute(failingOperation).catch(noop);
  };
  const ckOpenTeardown = (): void => {
    const breaker = ckOpen;
    ckOpen = undefined;
    if (breaker !== undefined) check(breaker.state === CockatielCircuitState.Open, `cockatiel breaker ended the phase in state ${breaker.state}`);
  };

  // bulkheads of 10 slots: one call at a time (never full), and batches of 1,000 (10 run, 990 queue)
  const bwBulkhead = new Bulkhead({ name: 'bench-bulkhead', maxInFlight: BULKHEAD_LIMIT, registry: false });
  const ckBulkhead = cockatielBulkhead(BULKHEAD_LIMIT);
  const pLimited = pLimit(BULKHEAD_LIMIT);
  const bwQueued = new Bulkhead({
    name: 'bench-bulkhead-queued',
    maxInFlight: BULKHEAD_LIMIT,
    maxQueue: CONCURRENT_CALLS,
    registry: false,
  });
  const ckQueued = cockatielBulkhead(BULKHEAD_LIMIT, CONCURRENT_CALLS);
  const pLimitedQueued = pLimit(BULKHEAD_LIMIT);
  const bwQueuedCall: Call = () => bwQueued.execute(operation);
  const ckQueuedCall: Call = () => ckQueued.execute(operation);
  const pLimitQueuedCall: Call = () => pLimitedQueued(operation);

  const cases: BenchCase[] = [
    { group: BARE_GROUP, library: 'baseline', fn: () => operation() },

    { group: 'retry', library: 'bulwark', fn: () => bwRetry.execute(operation) },
    { group: 'retry', library: 'cockatiel', fn: () => ckRetry.execute(operation) },
    { group: 'retry', library: 'p-retry', fn: () => pRetry(operation, pRetryOptions) },

    { group: 'retry-1-listener', library: 'bulwark', fn: () => bwRetryListened.execute(operation) },
    { group: 'retry-1-listener', library: 'cockatiel', fn: () => ckRetryListened.execute(operation) },

    { group: 'timeout-aggressive', library: 'bulwark', fn: () => bwTimeout.execute(operation) },
    { group: 'timeout-aggressive', library: 'cockatiel', fn: () => ckTimeout.execute(operation) },

    { group: 'timeout-cooperative', library: 'bulwark', fn: () => bwTimeoutCoop.execute(operation) },
    { group: 'timeout-cooperative', library: 'cockatiel', fn: () => ckTimeoutCoop.execute(operation) },

    { group: 'fallback', library: 'bulwark', fn: () => bwFallback.execute(operation) },
    { group: 'fallback', library: 'cockatiel', fn: () => ckFallback.execute(operation) },

    { group: 'compose', library: 'bulwark', fn: () => bwComposed.execute(operation) },
    { group: 'compose', library: 'cockatiel', fn: () => ckComposed.execute(operation) },

    { group: 'breaker-consecutive', library: 'bulwark', fn: () => bwBreaker.execute(operation) },
    { group: 'breaker-consecutive', library: 'cockatiel', fn: () => ckBreaker.execute(operation) },
    {
      group: 'breaker-consecutive',
      library: 'opossum',
      setup: opConsecutive.setup,
      teardown: opConsecutive.teardown,
      fn: () => opConsecutive.get().fire(),
    },

    { group: 'breaker-time-window', library: 'bulwark', fn: () => bwWindowBreaker.execute(operation) },
    { group: 'breaker-time-window', library: 'cockatiel', fn: () => ckSamplingBreaker.execute(operation) },
    {
      group: 'breaker-time-window',
      library: 'opossum',
      setup: opTimeWindow.setup,
      teardown: opTimeWindow.teardown,
      fn: () => opTimeWindow.get().fire(),
    },

    {
      group: BREAKER_OPEN_GROUP,
      library: 'bulwark',
      outcome: 'rejected',
      setup: bwOpenSetup,
      teardown: bwOpenTeardown,
      fn: () => (bwOpen as InstanceType<typeof CircuitBreaker>).execute(operation).catch(noop),
      verify: async () => {
        const breaker = bwOpen as InstanceType<typeof CircuitBreaker>;
        check(breaker.state === 'open', `bulwark breaker is ${breaker.state}, expected open`);
        const error = await rejectionOf(breaker.execute(operation), 'bulwark');
        check(error instanceof CircuitOpenError && error.state === 'open', `bulwark rejected with ${String(error)}`);
      },
    },
    {
      group: BREAKER_OPEN_GROUP,
      library: 'cockatiel',
      outcome: 'rejected',
      setup: ckOpenSetup,
      teardown: ckOpenTeardown,
      fn: () => (ckOpen as CircuitBreakerPolicy).execute(operation).catch(noop),
      verify: async () => {
        const breaker = ckOpen as CircuitBreakerPolicy;
        check(breaker.state === CockatielCircuitState.Open, `cockatiel breaker is in state ${breaker.state}, expected Open`);
        const error = await rejectionOf(breaker.execute(operation), 'cockatiel');
        check(
          error instanceof BrokenCircuitError && !(error instanceof IsolatedCircuitError),
          `cockatiel rejected with ${String(error)}`,
        );
      },
    },
    {
      group: BREAKER_OPEN_GROUP,
      library: 'opossum',
      outcome: 'rejected',
      setup: opOpen.setup,
      teardown: opOpen.teardown,
      fn: () => opOpen.get().fire().catch(noop),
      verify: async () => {
        const breaker = opOpen.get();
        check(breaker.opened, 'opossum breaker is not open');
        const error = await rejectionOf(breaker.fire(), 'opossum');
        check((error as { code?: unknown }).code === 'EOPENBREAKER', `opossum rejected with ${String(error)}`);
      },
    },

    { group: 'bulkhead', library: 'bulwark', fn: () => bwBulkhead.execute(operation) },
    { group: 'bulkhead', library: 'cockatiel', fn: () => ckBulkhead.execute(operation) },
    { group: 'bulkhead', library: 'p-limit', fn: () => pLimited(operation) },

    {
      group: BULKHEAD_CONCURRENT_GROUP,
      library: 'bulwark',
      fn: () => fireConcurrently(bwQueuedCall),
      verify: () => verifyLimit('bulwark', (op) => bwQueued.execute(op)),
    },
    {
      group: BULKHEAD_CONCURRENT_GROUP,
      library: 'cockatiel',
      fn: () => fireConcurrently(ckQueuedCall),
      verify: () => verifyLimit('cockatiel', (op) => ckQueued.execute(op)),
    },
    {
      group: BULKHEAD_CONCURRENT_GROUP,
      library: 'p-limit',
      fn: () => fireConcurrently(pLimitQueuedCall),
      verify: () => verifyLimit('p-limit', (op) => pLimitedQueued(op)),
    },
  ];

  {
    const limiter = new bulwark.AdaptiveConcurrencyLimiter({
      name: 'bench-adaptive',
      algorithm: 'aimd',
      initialLimit: 1000,
      // Sub-microsecond round trips jitter by far more than 1.25×: the latency signal would cut the
      // limit, which this row must keep still (it still reads the clock, as every aimd call does).
      rttTolerance: 1e6,
      registry: false,
    });
    const initialLimit = limiter.limit;
    // Every call must be admitted at once, and the limit must not move (see the group description):
    // checked before measuring, and at the end of each phase (not again by `dispose`).
    let inPhase = false;
    const startPhase = (): void => {
      inPhase = true;
    };
    const endPhase = (): void => {
      if (!inPhase) return;
      inPhase = false;
      checkLimiter();
    };
    const checkLimiter = (): void => {
      const stats = limiter.stats();
      check(stats.rejected === 0, `adaptive limiter rejected ${stats.rejected} calls`);
      check(stats.limit === initialLimit, `adaptive limiter's limit moved from ${initialLimit} to ${stats.limit}`);
      check(stats.inFlight === 0, `adaptive limiter still has ${stats.inFlight} permits out`);
    };
    cases.push(
      {
        group: 'adaptive-acquire',
        library: 'bulwark',
        fn: () => acquireAndRelease(limiter),
        verify: async () => checkLimiter(),
        setup: startPhase,
        teardown: endPhase,
      },
      {
        group: 'adaptive-execute',
        library: 'bulwark',
        fn: () => limiter.execute(operation),
        verify: async () => checkLimiter(),
        setup: startPhase,
        teardown: endPhase,
      },
    );
  }

  const shedder = new bulwark.LoadShedder({ name: 'bench-load-shedder', maxInFlight: 1_000, registry: false });
  const backpressure = new bulwark.Backpressure({ name: 'bench-backpressure', highWaterMark: 1_000, registry: false });
  cases.push(
    { group: 'load-shedder', library: 'bulwark', fn: () => shedder.execute(operation) },
    { group: 'backpressure', library: 'bulwark', fn: () => backpressure.execute(operation) },
  );

  cases.push(...timeoutBudgetCases(bulwark));
  cases.push(...rateLimitCases(bulwark));
  cases.push(...redisRateLimitCases(bulwark, notes));
  cases.push(...redisClientCases(bulwark, notes));
  cases.push(...middlewareCases(bulwark, notes));
  cases.push(...observabilityCases(bulwark, notes, redisAnswers));

  return {
    cases: sortByGroup(cases),
    notes,
    dispose: () => {
      // An async teardown that fails here changes nothing: the run has already ended or failed.
      for (const c of cases) void Promise.resolve(c.teardown?.()).catch(noop);
    },
  };
}

/**
 * The rows of the `timeout-budgets-*` groups (see the module comment): one Timeout per group, whose
 * `setup` starts the group's calls in flight, each with a random budget, held until `teardown`;
 * `fn` makes one call with a random budget of its own. `verify` and `teardown` check that every
 * call started by `setup` was still in flight (none timed out: the row measured what it says).
 */
function timeoutBudgetCases(bulwark: BulwarkModule): BenchCase[] {
  const { Timeout } = bulwark;
  const budget = (): { readonly timeoutMs: number } => ({
    timeoutMs: TIMEOUT_BUDGET_MIN_MS + Math.floor(Math.random() * (TIMEOUT_BUDGET_MAX_MS - TIMEOUT_BUDGET_MIN_MS)),
  });
  const measuredBudgets = Array.from({ length: 4_096 }, budget);
  return TIMEOUT_BUDGET_IN_FLIGHT.map((inFlight): BenchCase => {
    const group = timeoutBudgetGroup(inFlight);
    const timeout = new Timeout({ name: `bench-${group}`, timeoutMs: TIMEOUT_BUDGET_MAX_MS, registry: false });
    const heldBudgets = Array.from({ length: inFlight }, budget);
    let release: ((value: number) => void) | undefined;
    let held: Array<Promise<number>> = [];
    let index = 0;
    const checkInFlight = (count: number): void => {
      check(count === inFlight, `${group}: ${count} calls in flight, expected ${inFlight}`);
    };
    return {
      group,
      library: 'bulwark',
      setup: () => {
        const gate = new Promise<number>((resolve) => (release = resolve));
        const wait = (): Promise<number> => gate;
        held = heldBudgets.map((options) => timeout.execute(wait, options));
      },
      verify: async () => checkInFlight(timeout.stats().inFlight),
      teardown: async () => {
        if (release === undefined) return;
        const count = timeout.stats().inFlight;
        release(1);
        release = undefined;
        await Promise.all(held);
        held = [];
        checkInFlight(count);
        check(timeout.stats().inFlight === 0, `${group}: ${timeout.stats().inFlight} calls still in flight after teardown`);
      },
      fn: () => {
        const options = measuredBudgets[index] as { readonly timeoutMs: number };
        index = (index + 1) % measuredBudgets.length;
        return timeout.execute(operation, options);
      },
    };
  });
}

/** The TAT (µs) of {@link leastBucketDecision}'s one bucket. */
let leastBucketTatUs = 0;

/**
 * The `floor` row of `rate-limit-1-key-bucket`: the least work a token-bucket decision can do, the
 * GCRA of {@link BUCKET} on one module-level number, inline: one clock read, one result object of
 * the fields a RateLimiter's result has, no key lookup, no store, no limiter. Not a library: the
 * time below which no implementation's row can go, to read the 0.6× goal against.
 */
function leastBucketDecision(): { allowed: boolean; limit: number; windowIndex: number; remaining: number; resetMs: number; retryAfterMs: number } {
  const intervalUs = (BUCKET.rate.perMs * 1000) / BUCKET.rate.tokens;
  const nowUs = Date.now() * 1000;
  const aheadUs = leastBucketTatUs > nowUs ? leastBucketTatUs - nowUs : 0;
  const usedUs = aheadUs + intervalUs;
  leastBucketTatUs = nowUs + usedUs;
  const remaining = Math.max(0, BUCKET.burst - Math.ceil(usedUs / intervalUs));
  return { allowed: true, limit: BUCKET.burst, windowIndex: 0, remaining, resetMs: Math.ceil(usedUs / 1000), retryAfterMs: 0 };
}

/**
 * The rows of the `rate-limit-*` groups: bulwark's RateLimiter (MemoryStore) against
 * rate-limiter-flexible's RateLimiterMemory. Each row awaits one `consume` and maps an admission
 * to 1, a refusal to 0 (bulwark resolves `{ allowed: false }`; rate-limiter-flexible rejects).
 * Every limit is out of reach, so every call is admitted: checked before measuring (by `run.ts`'s
 * first call) and at the end of each phase (bulwark's `stats().rejected`; a rate-limiter-flexible
 * refusal would reject the call and fail the run).
 *
 * rate-limiter-flexible starts one unref'd 60 s timer per new key (to forget it); that is a
 * 60 000 ms timer list, not the 1000 ms one the timeout rows use (see the module comment).
 */
function rateLimitCases(bulwark: BulwarkModule): BenchCase[] {
  const { MemoryStore, RateLimiter } = bulwark;
  const keys = Array.from({ length: RATE_LIMIT_KEYS }, (_, i) => `user-${i}`);
  const allowedToOne = (result: { readonly allowed: boolean }): number => (result.allowed ? 1 : 0);
  const resolvedToOne = (): number => 1;
  const cycling = (consume: (key: string) => Promise<number>): (() => Promise<number>) => {
    let index = 0;
    return () => {
      const key = keys[index] as string;
      index = index + 1 === RATE_LIMIT_KEYS ? 0 : index + 1;
      return consume(key);
    };
  };
  const rows: BenchCase[] = [];
  const pair = (group: string, bwOptions: ConstructorParameters<typeof RateLimiter>[0], manyKeys: boolean): void => {
    const limiter = new RateLimiter({ ...bwOptions, registry: false });
    const peer = new RateLimiterMemory({ points: NEVER_REACHED, duration: 60 });
    const bwConsume = (key: string): Promise<number> => limiter.consume(key).then(allowedToOne);
    const peerConsume = (key: string): Promise<number> => peer.consume(key).then(resolvedToOne);
    const checkAdmitted = (): void => {
      const { rejected } = limiter.stats();
      check(rejected === 0, `${group}: bulwark refused ${rejected} calls`);
    };
    rows.push(
      {
        group,
        library: 'bulwark',
        fn: manyKeys ? cycling(bwConsume) : () => bwConsume('user-1'),
        verify: async () => checkAdmitted(),
        teardown: checkAdmitted,
      },
      { group, library: 'rate-limiter-flexible', fn: manyKeys ? cycling(peerConsume) : () => peerConsume('user-1') },
    );
  };
  const window = { limit: NEVER_REACHED, windowMs: 60_000, algorithm: 'sliding-window' } as const;
  const log = { limit: NEVER_REACHED, windowMs: SLIDING_LOG_WINDOW_MS, algorithm: 'sliding-log' } as const;
  pair('rate-limit-1-key', { name: 'bench-rl-1', ...window }, false);
  pair('rate-limit-10k-keys', { name: 'bench-rl-10k', ...window, store: new MemoryStore({ maxKeys: 20_000 }) }, true);
  pair('rate-limit-1-key-log', { name: 'bench-rl-1-log', ...log }, false);
  pair('rate-limit-10k-keys-log', { name: 'bench-rl-10k-log', ...log, store: new MemoryStore({ maxKeys: 20_000 }) }, true);
  pair('rate-limit-1-key-bucket', { name: 'bench-rl-1-bucket', ...BUCKET }, false);
  rows.push({ group: 'rate-limit-1-key-bucket', library: 'floor', fn: () => Promise.resolve(leastBucketDecision()).then(allowedToOne) });
  pair('rate-limit-10k-keys-bucket', { name: 'bench-rl-10k-bucket', ...BUCKET, store: new MemoryStore({ maxKeys: 20_000 }) }, true);
  return rows;
}

/** The rows of each `redis-rl-*` group, in display order. */
const REDIS_RATE_LIMIT_ROWS = [
  'bulwark',
  'bulwark-sliding-log',
  'bulwark-token-bucket',
  'rate-limiter-flexible',
  'rate-limiter-flexible-bursty',
  'ioredis-evalsha',
] as const;
type RedisRateLimitRow = (typeof REDIS_RATE_LIMIT_ROWS)[number];

/**
 * The rows of the `redis-rl-*` groups, or none (and a note) when Redis does not answer. Each
 * group has one ioredis client shared by its rows: connected in a row's `setup` (each phase),
 * and in its `teardown` the keys of the run are deleted and the connection closed (the next
 * `setup` waits for that first). Every limit is out of reach: every call is admitted, checked at
 * the end of each phase (bulwark's `stats()`: no refusal, no store error) and by each call's value.
 */
function redisRateLimitCases(bulwark: BulwarkModule, notes: string[]): BenchCase[] {
  const redisModule = bulwark.redis;
  if (redisModule === undefined) {
    notes.push('redis-rl-* groups skipped: the measured bulwark has no redis entry');
    return [];
  }
  if (!redisAnswers) {
    notes.push(`redis-rl-* groups skipped: Redis at ${REDIS_URL} did not answer`);
    return [];
  }
  const { RedisStore } = redisModule;
  const { RateLimiter } = bulwark;
  const keys = Array.from({ length: REDIS_KEYS }, (_, i) => `user-${i}`);
  const rows: BenchCase[] = [];
  const group = (id: string, inFlight: boolean, tag: string): void => {
    type BenchRedis = Redis & { benchNoop(): Promise<number> };
    const { redis, setup, teardown } = benchConnection<BenchRedis>();
    redis.defineCommand('benchNoop', { numberOfKeys: 0, lua: 'return 1' });
    const prefix = `${REDIS_PREFIX}${tag}`;
    const window = new RateLimiter({
      name: 'bench-redis',
      registry: false,
      limit: NEVER_REACHED,
      windowMs: 60_000,
      algorithm: 'sliding-window',
      store: new RedisStore({ redis, prefix, timeoutMs: STALL_TOLERANT_TIMEOUT_MS }),
    });
    const log = new RateLimiter({
      name: 'bench-redis-log',
      registry: false,
      limit: NEVER_REACHED,
      windowMs: SLIDING_LOG_WINDOW_MS,
      algorithm: 'sliding-log',
      store: new RedisStore({ redis, prefix, timeoutMs: STALL_TOLERANT_TIMEOUT_MS }),
    });
    const bucket = new RateLimiter({
      name: 'bench-redis-bucket',
      registry: false,
      ...BUCKET,
      store: new RedisStore({ redis, prefix, timeoutMs: STALL_TOLERANT_TIMEOUT_MS }),
    });
    const peer = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}rlf`, points: NEVER_REACHED, duration: 60 });
    const bursty = new BurstyRateLimiter(
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}rlfb`, points: NEVER_REACHED, duration: 60 }),
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}rlfburst`, points: NEVER_REACHED, duration: 60 }),
    );
    const allowedToOne = (result: { readonly allowed: boolean }): number => (result.allowed ? 1 : 0);
    const resolvedToOne = (): number => 1;
    const consumers: Record<RedisRateLimitRow, (key: string) => Promise<number>> = {
      bulwark: (key) => window.consume(key).then(allowedToOne),
      'bulwark-sliding-log': (key) => log.consume(key).then(allowedToOne),
      'bulwark-token-bucket': (key) => bucket.consume(key).then(allowedToOne),
      'rate-limiter-flexible': (key) => peer.consume(key).then(resolvedToOne),
      'rate-limiter-flexible-bursty': (key) => bursty.consume(key).then(resolvedToOne),
      'ioredis-evalsha': () => redis.benchNoop(),
    };
    const limiters: Partial<Record<RedisRateLimitRow, InstanceType<typeof RateLimiter>>> = {
      bulwark: window,
      'bulwark-sliding-log': log,
      'bulwark-token-bucket': bucket,
    };
    const checked = (library: string, limiter: InstanceType<typeof RateLimiter> | undefined) => (): void => {
      if (limiter === undefined) return;
      const { rejected, storeErrors } = limiter.stats();
      check(rejected === 0 && storeErrors === 0, `${id}/${library}: ${rejected} refused, ${storeErrors} store errors`);
    };
    for (const library of REDIS_RATE_LIMIT_ROWS) {
      const consume = consumers[library];
      const checkAdmitted = checked(library, limiters[library]);
      let index = 0;
      const fn = inFlight
        ? async (): Promise<number> => {
            const calls = new Array<Promise<number>>(REDIS_IN_FLIGHT);
            for (let i = 0; i < REDIS_IN_FLIGHT; i++) {
              calls[i] = consume(keys[index] as string);
              index = index + 1 === REDIS_KEYS ? 0 : index + 1;
            }
            const values = await Promise.all(calls);
            for (let i = 0; i < REDIS_IN_FLIGHT; i++) if (values[i] !== 1) return 0;
            return 1;
          }
        : () => consume('user-1');
      rows.push({
        group: id,
        library,
        fn,
        setup,
        verify: async () => checkAdmitted(),
        teardown: () => {
          teardown();
          checkAdmitted();
        },
      });
    }
  };
  group(REDIS_SEQUENTIAL_GROUP, false, 'seq-');
  group(REDIS_IN_FLIGHT_GROUP, true, 'inflight-');
  return rows;
}

/** Stable sort of `cases` into {@link GROUPS} order. */
function sortByGroup(cases: readonly BenchCase[]): BenchCase[] {
  const order = new Map(GROUPS.map((group, index) => [group.id, index]));
  const rank = (c: BenchCase): number => order.get(c.group) ?? GROUPS.length;
  return cases
    .map((c, index) => ({ c, index }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.index - b.index)
    .map(({ c }) => c);
}

/**
 * Name of a row, unique within a run, e.g. `retry/bulwark`.
 * @param c - the row
 */
export function caseId(c: Pick<BenchCase, 'group' | 'library'>): string {
  return `${c.group}/${c.library}`;
}
