/**
 * Timeout strategies, and what the caller sees with each.
 *
 * - `aggressive` (default): at the limit, `ctx.signal` aborts and the caller is rejected at once
 *   with an OperationTimeoutError. A `fn` that ignores the signal goes on running in the
 *   background.
 * - `cooperative`: at the limit, `ctx.signal` aborts and the Timeout waits for `fn` to settle. A
 *   rejection becomes an OperationTimeoutError (with `fn`'s error as `cause`); a value that `fn`
 *   still returns reaches the caller.
 * - A caller's own abort surfaces as the caller's reason, never as a timeout.
 *
 * Run it: `npx tsx examples/timeout-strategies.ts`
 */
import { pathToFileURL } from 'node:url';
import { OperationTimeoutError, Timeout, sleep } from 'bulwark';

/** Resolves with `value` after `ms`, ignoring any signal (a badly behaved dependency). */
function ignoresSignal<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

/** Resolves with `value` after `ms`, or rejects with `signal.reason` as soon as it aborts. */
function honoursSignal<T>(ms: number, value: T, signal: AbortSignal): Promise<T> {
  return sleep(ms, signal).then(() => value);
}

/** What the caller saw, and when. */
export interface Outcome {
  readonly result: 'value' | 'rejected';
  readonly value?: string;
  readonly error?: string;
  /** Class name of the rejection's `cause`, if any. */
  readonly cause?: string;
  readonly elapsedMs: number;
}

async function observe(run: () => Promise<string>): Promise<Outcome> {
  const started = Date.now();
  try {
    const value = await run();
    return { result: 'value', value, elapsedMs: Date.now() - started };
  } catch (error) {
    const err = error as Error;
    const outcome: Outcome = { result: 'rejected', error: `${err.name}: ${err.message}`, elapsedMs: Date.now() - started };
    return err.cause instanceof Error ? { ...outcome, cause: err.cause.name } : outcome;
  }
}

export interface TimeoutStrategiesResult {
  /** Rejected at ~20 ms while `fn` ran on until ~60 ms. */
  readonly aggressive: Outcome & { readonly fnFinishedAfterRejection: boolean };
  /** `fn` honours the signal: rejected at ~20 ms, cause = the abort reason. */
  readonly cooperative: Outcome;
  /** `fn` ignores the signal and returns at ~60 ms: the caller waits and gets the value. */
  readonly cooperativeLateValue: Outcome;
  /** The caller aborts at ~5 ms: its own reason, not a timeout. */
  readonly callerAbort: Outcome & { readonly isTimeout: boolean };
  /** `timeout` events seen by the two instances. */
  readonly timeoutEvents: number;
}

export async function main(): Promise<TimeoutStrategiesResult> {
  const aggressive = new Timeout({ name: 'aggressive', timeoutMs: 20 });
  const cooperative = new Timeout({ name: 'cooperative', timeoutMs: 20, strategy: 'cooperative' });
  let timeoutEvents = 0;
  aggressive.events.on('timeout', () => timeoutEvents++);
  cooperative.events.on('timeout', () => timeoutEvents++);
  const signal = new AbortController().signal;

  let background: Promise<string> | undefined;
  let rejectedAt = Number.POSITIVE_INFINITY;
  const aggressiveOutcome = await observe(() =>
    aggressive.execute(() => (background = ignoresSignal(60, 'too late')), { signal }).finally(() => (rejectedAt = Date.now())),
  );
  await background;
  const fnFinishedAfterRejection = Date.now() > rejectedAt;

  const cooperativeOutcome = await observe(() =>
    cooperative.execute((ctx) => honoursSignal(60, 'fresh', ctx.signal), { signal }),
  );
  const cooperativeLateValue = await observe(() => cooperative.execute(() => ignoresSignal(60, 'late but kept'), { signal }));

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('client went away')), 5);
  let isTimeout = false;
  const callerAbort = await observe(() =>
    aggressive
      .execute((ctx) => honoursSignal(60, 'never', ctx.signal), { signal: controller.signal })
      .catch((error: unknown) => {
        isTimeout = error instanceof OperationTimeoutError;
        throw error;
      }),
  ).finally(() => clearTimeout(timer));

  return {
    aggressive: { ...aggressiveOutcome, fnFinishedAfterRejection },
    cooperative: cooperativeOutcome,
    cooperativeLateValue,
    callerAbort: { ...callerAbort, isTimeout },
    timeoutEvents,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
