/**
 * The performance goals of the project, stated against cockatiel (and, for the circuit breaker,
 * against bulwark itself; for the bulkhead, against p-limit too; for the rate limiter, against
 * rate-limiter-flexible; for the HTTP guard, against express-rate-limit), and their evaluation: each goal is the median over the runs of a
 * same-run ratio, compared with a maximum.
 * @module
 */
import { median, type RowRun, type RowSummary } from './analysis';
import {
  BREAKER_OPEN_GROUP,
  BULKHEAD_CONCURRENT_GROUP,
  REDIS_IN_FLIGHT_GROUP,
  TIMEOUT_BUDGET_IN_FLIGHT,
  timeoutBudgetGroup,
  type Library,
} from './cases';
import { MIDDLEWARE_GROUP } from './middleware-cases';
import { BREAKER_PROMETHEUS_GROUP, TRACKED_INC_GROUP } from './observability-cases';
import { REDIS_GET_GROUP, REDIS_GET_PIPELINED_GROUP } from './redis-client-cases';
import { CACHE_HIT_GROUP, CACHE_HIT_PIPELINED_GROUP } from './redis-cache-cases';

/**
 * Which ratio a goal bounds: a field of {@link RowRun} (against cockatiel's row of the same group);
 * `timeVsGroup`, bulwark's `meanNs` in `group` divided by bulwark's `meanNs` in `versus`;
 * `timeVsLibrary`, bulwark's `meanNs` in `group` divided by `versusLibrary`'s `meanNs` in `group`;
 * `overheadVsLibrary`, the same with `overheadNs` (against the group's own baseline row when it
 * has one, see {@link RowRun.overheadNs}); or `overheadVsGroup`, bulwark's `overheadNs` (over the
 * bare call) in `group` divided by its `overheadNs` in `versus`.
 */
export type GoalMetric =
  | 'overheadVsCockatiel'
  | 'timeVsCockatiel'
  | 'timeVsGroup'
  | 'timeVsLibrary'
  | 'overheadVsLibrary'
  | 'overheadVsGroup';

/** One goal: bulwark's row in `group` must keep `metric` at or below `max` (below, when `strict`). */
export interface Goal {
  /** Group whose bulwark row is judged. */
  readonly group: string;
  /** Row of `group` that is judged (the numerator); `bulwark` unless set. */
  readonly library?: Library;
  /** The ratio bounded. */
  readonly metric: GoalMetric;
  /** For `timeVsGroup` and `overheadVsGroup`: the group whose bulwark row is the denominator. */
  readonly versus?: string;
  /** For `timeVsLibrary` and `overheadVsLibrary`: the library whose row of `group` is the denominator. */
  readonly versusLibrary?: Library;
  /** Largest acceptable value of the ratio (excluded when `strict`). */
  readonly max: number;
  /** Whether the ratio must stay strictly below `max` ("cheaper than"), rather than at or below it. */
  readonly strict?: boolean;
  /** The goal in words. */
  readonly text: string;
}

/** The verdict on one goal. */
export interface GoalResult extends Goal {
  /** Median of the per-run ratios; undefined when a row is missing or a denominator is ≤ 0. */
  readonly value: number | undefined;
  /** The ratio in each run. */
  readonly perRun: readonly (number | undefined)[];
  /** `PASS` when `value ≤ max` (`< max` when strict), `MISS` otherwise, `N/A` when it could not be computed. */
  readonly verdict: 'PASS' | 'MISS' | 'N/A';
}

/**
 * The goals: Retry overhead ≤ 0.5× cockatiel's overhead; Timeout and any composition containing
 * it ≤ 0.1× cockatiel's time (ns per call, bare call included), and a Timeout whose callers pass
 * their own budgets no slower per call at 10,000 or 100,000 calls in flight than 2× at 1,000; a
 * closed CircuitBreaker's overhead ≤ 0.5× cockatiel's in both modes; an open breaker's rejection
 * cheaper than cockatiel's, and cheaper than a call through a closed bulwark breaker (the rejection
 * path must not cost more than the call it saves); a Bulkhead faster than both cockatiel's bulkhead and p-limit, one call at a
 * time and 1,000 calls at once (time per call); a RateLimiter on its MemoryStore (sliding-window)
 * ≤ 0.8× rate-limiter-flexible's RateLimiterMemory time, with one key and with 10,000 keys; on a
 * RedisStore with 100 calls in flight, a sliding-window RateLimiter at ≥ 85% of the throughput of a
 * raw EVALSHA on the same connection, and a sliding-log one faster than RateLimiterRedis; a
 * token-bucket RateLimiter ≤ 0.6× RateLimiterMemory's time (MemoryStore, 1 and 10,000 keys) and, on
 * a RedisStore with 100 in flight, at ≥ 90% of raw EVALSHA and faster than both RateLimiterRedis and
 * BurstyRateLimiter; the HTTP
 * guard's overhead per request (in-process, rate limit on a MemoryStore) ≤ 0.5× express-rate-limit's;
 * a closed breaker with the Prometheus exporter registered at most 2× the bare breaker's overhead;
 * a tracked prom-client `counter.inc()` within 1.2× prom-client's own.
 * A Cache hit over Redis (defaults), 100 in flight, at ≥ 90% of the throughput of a raw GET +
 * JSON.parse on the same connection, at ≥ 2× bentocache's (Redis-only store), and faster than
 * cache-manager's `get` over node-redis, with auto-pipelining off and on.
 */
export const GOALS: readonly Goal[] = [
  { group: 'retry', metric: 'overheadVsCockatiel', max: 0.5, text: 'Retry overhead ≤ 0.5× cockatiel overhead' },
  {
    group: 'retry-1-listener',
    metric: 'overheadVsCockatiel',
    max: 0.5,
    text: 'Retry overhead ≤ 0.5× cockatiel overhead, 1 success listener each',
  },
  { group: 'timeout-aggressive', metric: 'timeVsCockatiel', max: 0.1, text: 'Timeout (aggressive) time ≤ 0.1× cockatiel time' },
  { group: 'timeout-cooperative', metric: 'timeVsCockatiel', max: 0.1, text: 'Timeout (cooperative) time ≤ 0.1× cockatiel time' },
  ...TIMEOUT_BUDGET_IN_FLIGHT.slice(1).map(
    (inFlight): Goal => ({
      group: timeoutBudgetGroup(inFlight),
      metric: 'timeVsGroup',
      versus: timeoutBudgetGroup(TIMEOUT_BUDGET_IN_FLIGHT[0]),
      max: 2,
      text: `Timeout, callers' own budgets: time per call at ${inFlight.toLocaleString('en-US')} in flight ≤ 2× at 1,000`,
    }),
  ),
  { group: 'compose', metric: 'timeVsCockatiel', max: 0.1, text: 'Fallback+Retry+Timeout time ≤ 0.1× cockatiel time' },
  {
    group: 'breaker-consecutive',
    metric: 'overheadVsCockatiel',
    max: 0.5,
    text: 'CircuitBreaker closed (consecutive) overhead ≤ 0.5× cockatiel overhead',
  },
  {
    group: 'breaker-time-window',
    metric: 'overheadVsCockatiel',
    max: 0.5,
    text: 'CircuitBreaker closed (time window) overhead ≤ 0.5× cockatiel overhead',
  },
  {
    group: BREAKER_OPEN_GROUP,
    metric: 'timeVsCockatiel',
    max: 1,
    strict: true,
    text: 'CircuitBreaker open: rejection time < cockatiel time',
  },
  {
    group: BREAKER_OPEN_GROUP,
    metric: 'timeVsGroup',
    versus: 'breaker-consecutive',
    max: 1,
    strict: true,
    text: 'CircuitBreaker open: rejection time < closed (consecutive) call time',
  },
  { group: 'bulkhead', metric: 'timeVsCockatiel', max: 1, strict: true, text: 'Bulkhead, 1 call: time < cockatiel time' },
  {
    group: 'bulkhead',
    metric: 'timeVsLibrary',
    versusLibrary: 'p-limit',
    max: 1,
    strict: true,
    text: 'Bulkhead, 1 call: time < p-limit time',
  },
  {
    group: BULKHEAD_CONCURRENT_GROUP,
    metric: 'timeVsCockatiel',
    max: 1,
    strict: true,
    text: 'Bulkhead, 1,000 concurrent: time per call < cockatiel time',
  },
  {
    group: BULKHEAD_CONCURRENT_GROUP,
    metric: 'timeVsLibrary',
    versusLibrary: 'p-limit',
    max: 1,
    strict: true,
    text: 'Bulkhead, 1,000 concurrent: time per call < p-limit time',
  },
  {
    group: 'rate-limit-1-key',
    metric: 'timeVsLibrary',
    versusLibrary: 'rate-limiter-flexible',
    max: 0.8,
    text: 'RateLimiter (MemoryStore), 1 key: time ≤ 0.8× rate-limiter-flexible time',
  },
  {
    group: 'rate-limit-10k-keys',
    metric: 'timeVsLibrary',
    versusLibrary: 'rate-limiter-flexible',
    max: 0.8,
    text: 'RateLimiter (MemoryStore), 10,000 keys: time ≤ 0.8× rate-limiter-flexible time',
  },
  ...(['rate-limit-1-key-bucket', 'rate-limit-10k-keys-bucket'] as const).map(
    (group): Goal => ({
      group,
      metric: 'timeVsLibrary',
      versusLibrary: 'rate-limiter-flexible',
      max: 0.6,
      text: `RateLimiter (MemoryStore, token-bucket), ${group === 'rate-limit-1-key-bucket' ? '1 key' : '10,000 keys'}: time ≤ 0.6× rate-limiter-flexible time`,
    }),
  ),
  {
    group: 'rate-limit-1-key-bucket',
    library: 'floor',
    metric: 'timeVsLibrary',
    versusLibrary: 'rate-limiter-flexible',
    max: 0.6,
    text: 'Reference, not a goal: the least a token-bucket decision can cost (one clock read, one result, one promise) ≤ 0.6× rate-limiter-flexible time',
  },
  {
    group: REDIS_IN_FLIGHT_GROUP,
    metric: 'timeVsLibrary',
    versusLibrary: 'ioredis-evalsha',
    max: 1 / 0.85,
    text: 'RateLimiter (RedisStore, sliding-window), 100 in flight: throughput ≥ 85% of raw EVALSHA (time ≤ ceiling ÷ 0.85)',
  },
  {
    group: REDIS_IN_FLIGHT_GROUP,
    library: 'bulwark-sliding-log',
    metric: 'timeVsLibrary',
    versusLibrary: 'rate-limiter-flexible',
    max: 1,
    strict: true,
    text: 'RateLimiter (RedisStore, sliding-log), 100 in flight: time < rate-limiter-flexible (RateLimiterRedis) time',
  },
  {
    group: REDIS_IN_FLIGHT_GROUP,
    library: 'bulwark-token-bucket',
    metric: 'timeVsLibrary',
    versusLibrary: 'ioredis-evalsha',
    max: 1 / 0.9,
    text: 'RateLimiter (RedisStore, token-bucket), 100 in flight: throughput ≥ 90% of raw EVALSHA (time ≤ ceiling ÷ 0.9)',
  },
  ...(['rate-limiter-flexible', 'rate-limiter-flexible-bursty'] as const).map(
    (peer): Goal => ({
      group: REDIS_IN_FLIGHT_GROUP,
      library: 'bulwark-token-bucket',
      metric: 'timeVsLibrary',
      versusLibrary: peer,
      max: 1,
      strict: true,
      text: `RateLimiter (RedisStore, token-bucket), 100 in flight: time < ${peer === 'rate-limiter-flexible' ? 'RateLimiterRedis' : 'BurstyRateLimiter'} time`,
    }),
  ),
  {
    group: REDIS_GET_GROUP,
    metric: 'timeVsLibrary',
    versusLibrary: 'ioredis',
    max: 1 / 0.9,
    text: 'guardRedis GET (default policy), 100 in flight: throughput ≥ 90% of raw ioredis GET (time ≤ raw ÷ 0.9)',
  },
  {
    group: BREAKER_PROMETHEUS_GROUP,
    metric: 'overheadVsGroup',
    versus: 'breaker-consecutive',
    max: 2,
    text: 'CircuitBreaker closed with the Prometheus exporter: overhead ≤ 2× the bare breaker overhead',
  },
  {
    group: TRACKED_INC_GROUP,
    metric: 'timeVsLibrary',
    versusLibrary: 'prom-client',
    max: 1.2,
    text: "prom-client counter.inc() on a registry a RedisMetricsSink tracks: within 1.2× prom-client's own inc",
  },
  {
    group: REDIS_GET_PIPELINED_GROUP,
    metric: 'timeVsLibrary',
    versusLibrary: 'ioredis',
    max: 1 / 0.9,
    text: 'guardRedis GET with auto-pipelining, 100 in flight: throughput ≥ 90% of raw ioredis GET on the same settings',
  },
  {
    group: MIDDLEWARE_GROUP,
    metric: 'overheadVsLibrary',
    versusLibrary: 'express-rate-limit',
    max: 0.5,
    text: 'HTTP guard (rate limit), in-process: overhead per request ≤ 0.5× express-rate-limit (MemoryStore) overhead',
  },
  ...[CACHE_HIT_GROUP, CACHE_HIT_PIPELINED_GROUP].flatMap((group): Goal[] => [
    {
      group,
      metric: 'timeVsLibrary',
      versusLibrary: 'ioredis',
      max: 1 / 0.9,
      text: `Cache.getOrLoad hit${group === CACHE_HIT_PIPELINED_GROUP ? ', auto-pipelining' : ''}, 100 in flight: throughput ≥ 90% of raw ioredis GET + JSON.parse (time ≤ raw ÷ 0.9)`,
    },
    {
      group,
      metric: 'timeVsLibrary',
      versusLibrary: 'bentocache',
      max: 0.5,
      text: `Cache.getOrLoad hit${group === CACHE_HIT_PIPELINED_GROUP ? ', auto-pipelining' : ''}, 100 in flight: throughput ≥ 2× bentocache's Redis-only getOrSet hit (time ≤ 0.5×)`,
    },
    {
      group,
      metric: 'timeVsLibrary',
      versusLibrary: 'cache-manager',
      max: 1,
      strict: true,
      text: `Cache.getOrLoad hit${group === CACHE_HIT_PIPELINED_GROUP ? ', auto-pipelining' : ''}, 100 in flight: time < cache-manager (node-redis) get hit`,
    },
  ]),
];

/**
 * Judges every goal on the summarised rows.
 * @param rows - {@link summarise}'s output
 * @param goals - the goals to judge
 */
export function evaluateGoals(rows: readonly RowSummary[], goals: readonly Goal[] = GOALS): GoalResult[] {
  const findRow = (group: string | undefined, library: Library | undefined) =>
    group === undefined || library === undefined ? undefined : rows.find((r) => r.group === group && r.library === library);
  return goals.map((goal) => {
    const row = findRow(goal.group, goal.library ?? 'bulwark');
    let perRun: (number | undefined)[];
    if (
      goal.metric === 'timeVsGroup' ||
      goal.metric === 'timeVsLibrary' ||
      goal.metric === 'overheadVsLibrary' ||
      goal.metric === 'overheadVsGroup'
    ) {
      const byLibrary = goal.metric === 'timeVsLibrary' || goal.metric === 'overheadVsLibrary';
      const versus = byLibrary ? findRow(goal.group, goal.versusLibrary) : findRow(goal.versus, 'bulwark');
      const field = goal.metric === 'timeVsGroup' || goal.metric === 'timeVsLibrary' ? 'meanNs' : 'overheadNs';
      perRun =
        row === undefined || versus === undefined
          ? []
          : row.runs.map((run: RowRun, i) => {
              const denominator = versus.runs[i]?.[field];
              return denominator === undefined || denominator <= 0 ? undefined : run[field] / denominator;
            });
    } else {
      const metric = goal.metric;
      perRun = row === undefined ? [] : row.runs.map((run: RowRun) => run[metric]);
    }
    const value = median(perRun.filter((v): v is number => v !== undefined));
    const met = value !== undefined && (goal.strict === true ? value < goal.max : value <= goal.max);
    const verdict = value === undefined ? 'N/A' : met ? 'PASS' : 'MISS';
    return { ...goal, value, perRun, verdict };
  });
}
