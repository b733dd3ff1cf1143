/**
 * Many calls in flight on one Timeout, each with its own deadline (the Timeout's `timeoutMs` or a
 * caller's budget): every call times out exactly at its own deadline. That a call's start does not
 * get slower as calls pile up is a cost, measured by the bench (`timeout-budgets-*` rows and their
 * goals in bench/goals.ts), not asserted here: unit tests assert no timings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OperationTimeoutError, Timeout } from '../../src/index';
import { deferred, flushPromises } from '../support/async';
import { ManualClock } from '../support/manual-clock';

const TIMEOUT_MS = 1_000;

type Step =
  | { readonly kind: 'start'; readonly budgetMs: number | undefined }
  | { readonly kind: 'settle'; readonly pick: number }
  | { readonly kind: 'advance'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('start' as const),
      budgetMs: fc.option(fc.integer({ min: 1, max: 2 * TIMEOUT_MS }), { nil: undefined }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: TIMEOUT_MS / 20 }) }) },
);

interface Call {
  readonly id: number;
  readonly startedAt: number;
  readonly expiresAt: number;
  readonly release: (value: number) => void;
  /** What the caller saw, once it saw it. */
  outcome?: { readonly value: number } | { readonly error: unknown; readonly at: number };
  /** Whether the test let fn return (before the call's deadline). */
  released: boolean;
}

/**
 * Runs `steps` against one Timeout and a record of what each caller saw; after each step, and once
 * every deadline has passed, checks the record against the calls' deadlines.
 */
async function check(steps: readonly Step[]): Promise<void> {
  const clock = new ManualClock();
  const timeout = new Timeout({ timeoutMs: TIMEOUT_MS, clock });
  const calls: Call[] = [];
  let lastTimedOutAt = Number.NEGATIVE_INFINITY;
  const problems: string[] = [];

  const running = (): Call[] => calls.filter((call) => call.outcome === undefined && !call.released);
  const timedOut = (call: Call, error: unknown): void => {
    const at = clock.now();
    call.outcome = { error, at };
    if (at !== call.expiresAt) problems.push(`call ${call.id} due at ${call.expiresAt} timed out at ${at}`);
    if (call.expiresAt < lastTimedOutAt) problems.push(`call ${call.id} due at ${call.expiresAt} timed out after one due at ${lastTimedOutAt}`);
    lastTimedOutAt = call.expiresAt;
    if (!(error instanceof OperationTimeoutError) || error.timeoutMs !== call.expiresAt - call.startedAt) {
      problems.push(`call ${call.id} was rejected with ${String(error)}`);
    }
  };
  const verify = (): void => {
    const now = clock.now();
    let inFlight = 0;
    for (const call of calls) {
      if (call.released) {
        if (!('value' in (call.outcome ?? {}))) problems.push(`call ${call.id} returned but its caller saw ${JSON.stringify(call.outcome)}`);
      } else if (call.outcome === undefined) {
        if (call.expiresAt <= now) problems.push(`call ${call.id} due at ${call.expiresAt} has not timed out at ${now}`);
        inFlight++;
      }
    }
    if (timeout.stats().inFlight !== inFlight) problems.push(`stats().inFlight is ${timeout.stats().inFlight}, ${inFlight} calls run`);
    if (clock.pendingTimers > (inFlight === 0 ? 0 : 1)) problems.push(`${clock.pendingTimers} timers for ${inFlight} calls`);
    expect(problems).toEqual([]);
  };

  for (const s of steps) {
    if (s.kind === 'start') {
      const gate = deferred<number>();
      const startedAt = clock.now();
      const expiresAt = startedAt + Math.min(s.budgetMs ?? TIMEOUT_MS, TIMEOUT_MS);
      const call: Call = { id: calls.length, startedAt, expiresAt, release: gate.resolve, released: false };
      calls.push(call);
      timeout.execute(() => gate.promise, s.budgetMs === undefined ? undefined : { timeoutMs: s.budgetMs }).then(
        (value) => (call.outcome = { value }),
        (error: unknown) => timedOut(call, error),
      );
    } else if (s.kind === 'settle') {
      const candidates = running();
      const call = candidates[s.pick % Math.max(1, candidates.length)];
      if (call !== undefined) {
        call.released = true;
        call.release(call.id);
      }
    } else {
      await clock.advance(s.ms);
    }
    await flushPromises();
    verify();
  }
  await clock.advance(TIMEOUT_MS);
  verify();
  expect(running()).toEqual([]);
  expect(clock.pendingTimers).toBe(0);
}

describe('Timeout with many deadlines in flight', () => {
  it('times out every call exactly at its own deadline, in deadline order, none early and none lost', async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 100, maxLength: 400 }), check), { numRuns: 100 });
  });
});
