/**
 * The benchmark rows: a declarative list of `{ group, library, fn }`, where `fn` makes ONE call
 * of the shared operation through one library's policy and returns its promise.
 *
 * Every row wraps the same operation ({@link operation}, `async () => 1`), and every policy is built
 * outside the timed loop. In every group but one, every call succeeds at the first try without
 * reaching any limit, so those rows measure the cost of the happy path: what a policy adds to
 * every call. The `breaker-open` group measures the other side of a circuit breaker: each row's
 * breaker has been tripped open, so every call is refused without running the operation, and `fn`
 * awaits the rejection and swallows it (`.catch(noop)`, the same for every library). Such rows say
 * so with `outcome: 'rejected'` and a `verify` that proves the call really was refused by an open
 * breaker (see `run.ts`).
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
 * To add a row, append a `{ group, library, fn }` entry to the list in {@link createCases}; to add
 * a group, add it to {@link GROUPS} too. Goals that compare the rows live in `goals.ts`.
 * @module
 */
import {
  BrokenCircuitError,
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
   * Undoes `setup`; called after each phase. Rows with a `verify` also check there that the phase
   * ended in the state it measured (e.g. the breaker was still open), and throw if not.
   */
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

/** Id of the group whose rows are calls refused by an open circuit breaker. */
export const BREAKER_OPEN_GROUP = 'breaker-open';

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
];

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

/**
 * Builds every policy once and returns the rows that call through them.
 * @param bulwark - the bulwark module to measure (see `bulwark.ts`: built like the package, or src)
 * @returns the rows and a `dispose` that stops the peers' background timers
 */
export function createCases(bulwark: BulwarkModule): CaseSet {
  const { CircuitBreaker, CircuitOpenError, Fallback, Retry, Timeout, compose } = bulwark;

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
