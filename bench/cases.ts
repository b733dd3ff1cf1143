/**
 * The benchmark rows: a declarative list of `{ group, library, fn }`, where `fn` makes ONE call
 * of the shared operation through one library's policy and returns its promise.
 *
 * Every row wraps the same operation ({@link operation}, `async () => 1`), every policy is built
 * once, outside the timed loop, and every call succeeds at the first try without reaching any
 * limit, so the rows measure the cost of the happy path: what a policy adds to every call.
 *
 * Rows must not leave timers running between rows: while any timer of some duration exists, Node
 * reuses its timer list for that duration and `setTimeout(…, 1000)` costs ~200 ns less, which
 * would flatter or penalise the timeout rows depending on who else runs. opossum's defaults start
 * a 1000 ms interval (its rolling-window buckets), so its breaker is created in the row's `setup`
 * and shut down in its `teardown`, which tinybench calls around each phase of that row only.
 *
 * To add a row (e.g. a bulwark CircuitBreaker once it exists), append a `{ group: 'breaker',
 * library: 'bulwark', fn }` entry to the list in {@link createCases}; to add a group, add it to
 * {@link GROUPS} too. Goals that compare the rows live in `goals.ts`.
 * @module
 */
import {
  TimeoutStrategy,
  fallback as cockatielFallback,
  handleAll,
  retry as cockatielRetry,
  timeout as cockatielTimeout,
  wrap as cockatielWrap,
} from 'cockatiel';
import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import type { BulwarkModule } from './bulwark';

/** Libraries that appear in the table; `baseline` is the bare call without any policy. */
export type Library = 'baseline' | 'bulwark' | 'cockatiel' | 'p-retry' | 'opossum';

/** A group of rows that do the same job, compared with each other. */
export interface Group {
  /** Stable id, used in results.json and by the goals. */
  readonly id: string;
  /** Short label printed in the table. */
  readonly label: string;
  /** What each library in the group is configured as. */
  readonly description: string;
}

/** One benchmark row. */
export interface BenchCase {
  /** Id of the {@link Group} the row belongs to. */
  readonly group: string;
  /** Library the row measures. */
  readonly library: Library;
  /** Makes one call of {@link operation} through the library's policy. */
  readonly fn: () => Promise<unknown>;
  /** Creates what `fn` needs that must not outlive the row (timers); called before each phase. */
  readonly setup?: () => void;
  /** Undoes `setup`; called after each phase. */
  readonly teardown?: () => void;
}

/** The rows plus a way to release anything a failed run left behind. */
export interface CaseSet {
  /** Every row, in display order: groups in {@link GROUPS} order, the baseline first. */
  readonly cases: readonly BenchCase[];
  /** Runs every row's `teardown`; call once at the end, even after an error. */
  dispose(): void;
}

/** The operation every row runs: the cheapest possible async call. */
export const operation = async (): Promise<number> => 1;

/** Id of the group whose single row is the bare call that overheads are measured against. */
export const BARE_GROUP = 'bare';

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
    id: 'breaker',
    label: 'circuit breaker',
    description: 'opossum `new CircuitBreaker(fn)` with its defaults (including its 10 s per-call timeout), `breaker.fire()`; bulwark has no breaker yet',
  },
];

const noop = (): void => {};

/**
 * Builds every policy once and returns the rows that call through them.
 * @param bulwark - the bulwark module to measure (see `bulwark.ts`: built like the package, or src)
 * @returns the rows and a `dispose` that stops the peers' background timers
 */
export function createCases(bulwark: BulwarkModule): CaseSet {
  const { Fallback, Retry, Timeout, compose } = bulwark;

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

  // opossum: created per phase of its own row, see the module comment
  let breaker: CircuitBreaker<[], number> | undefined;
  const breakerSetup = (): void => {
    breaker?.shutdown();
    breaker = new CircuitBreaker(operation);
  };
  const breakerTeardown = (): void => {
    breaker?.shutdown();
    breaker = undefined;
  };

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

    {
      group: 'breaker',
      library: 'opossum',
      setup: breakerSetup,
      teardown: breakerTeardown,
      fn: () => (breaker as CircuitBreaker<[], number>).fire(),
    },
  ];

  return {
    cases: sortByGroup(cases),
    dispose: () => {
      for (const c of cases) c.teardown?.();
    },
  };
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
