/**
 * Whatever `fn` returns, `execute` returns a promise, and every pattern that holds a slot while
 * `fn` runs releases it exactly once: thenables whose `then` getter throws, whose `then` throws,
 * or that call both of their callbacks included; and a Timeout never counts such a call as one
 * that timed out.
 */
import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrencyLimiter } from '../../src/adaptive-concurrency/index';
import { Backpressure } from '../../src/backpressure/index';
import { Bulkhead } from '../../src/bulkhead/index';
import { LoadShedder } from '../../src/load-shedder/index';
import { CircuitBreaker, RateLimiter, Retry, Timeout, compose, type Policy } from '../../src/index';
import { settled } from '../support/async';
import { ManualClock } from '../support/manual-clock';

const boom = new Error('hostile result');

/** What `fn` returns, and how the call must end. */
interface HostileResult {
  readonly name: string;
  readonly make: () => unknown;
  /** How the call ends; undefined when that depends on how often a pattern reads `then`. */
  readonly ends: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
}

const hostileResults: readonly HostileResult[] = [
  {
    name: 'a thenable whose then getter throws',
    make: () => ({
      get then(): never {
        throw boom;
      },
    }),
    ends: { ok: false, error: boom },
  },
  {
    name: 'a thenable whose then getter throws on the second read only',
    make: () => {
      let reads = 0;
      return {
        get then() {
          if (++reads > 1) throw boom;
          return (resolve: (value: string) => void) => resolve('first read');
        },
      };
    },
    ends: undefined,
  },
  {
    name: 'a thenable whose then throws',
    make: () => ({
      then(): never {
        throw boom;
      },
    }),
    ends: { ok: false, error: boom },
  },
  {
    name: 'a thenable that fulfils, then rejects',
    make: () => ({
      then(resolve: (value: string) => void, reject: (reason: unknown) => void) {
        resolve('fulfilled first');
        reject(boom);
      },
    }),
    ends: { ok: true, value: 'fulfilled first' },
  },
  {
    name: 'a thenable that rejects, then fulfils, then throws',
    make: () => ({
      then(resolve: (value: string) => void, reject: (reason: unknown) => void) {
        reject(boom);
        resolve('too late');
        throw new Error('after settling');
      },
    }),
    ends: { ok: false, error: boom },
  },
  {
    name: 'a native promise whose constructor getter throws',
    make: () => {
      const promise = Promise.resolve('native');
      Object.defineProperty(promise, 'constructor', {
        get(): never {
          throw boom;
        },
      });
      return promise;
    },
    ends: { ok: false, error: boom },
  },
];

/** A pattern admitting one call at a time and refusing (not queueing) the next one. */
interface OneSlot {
  readonly name: string;
  readonly make: () => {
    execute<T>(fn: () => T | PromiseLike<T>): Promise<T>;
    inUse(): number;
  };
}

const oneSlotPatterns: readonly OneSlot[] = [
  {
    name: 'Bulkhead',
    make: () => {
      const bulkhead = new Bulkhead({ registry: false, clock: new ManualClock(), maxInFlight: 1, maxQueue: 0 });
      return { execute: (fn) => bulkhead.execute(fn), inUse: () => bulkhead.inFlight };
    },
  },
  {
    name: 'LoadShedder',
    make: () => {
      const shedder = new LoadShedder({ registry: false, clock: new ManualClock(), maxInFlight: 1, maxQueue: 0 });
      return { execute: (fn) => shedder.execute(fn), inUse: () => shedder.stats().inFlight };
    },
  },
  {
    name: 'Backpressure',
    make: () => {
      const backpressure = new Backpressure({
        registry: false,
        clock: new ManualClock(),
        highWaterMark: 1,
        lowWaterMark: 0,
        maxWaitMs: 0,
      });
      return { execute: (fn) => backpressure.execute(fn), inUse: () => backpressure.pending };
    },
  },
  {
    name: 'AdaptiveConcurrencyLimiter',
    make: () => {
      const limiter = new AdaptiveConcurrencyLimiter({
        registry: false,
        clock: new ManualClock(),
        algorithm: 'aimd',
        initialLimit: 1,
        minLimit: 1,
        maxLimit: 1,
        maxWaitMs: 0,
      });
      return { execute: (fn) => limiter.execute(fn), inUse: () => limiter.stats().inFlight };
    },
  },
];

describe.each(oneSlotPatterns)('$name, when fn returns a hostile result', ({ make }) => {
  it.each(hostileResults)('returns a promise for $name, releases the slot once and admits a later call', async (result) => {
    const pattern = make();
    let call: Promise<unknown> | undefined;
    expect(() => {
      call = pattern.execute(result.make);
    }).not.toThrow();
    expect(call).toBeInstanceOf(Promise);
    const ended = await settled(call as Promise<unknown>);
    if (result.ends !== undefined) expect(ended).toEqual(result.ends);
    expect(pattern.inUse()).toBe(0);
    await expect(pattern.execute(() => 'later')).resolves.toBe('later');
    expect(pattern.inUse()).toBe(0);
  });

  it('never runs two calls at once after hostile results (each slot released exactly once)', async () => {
    const pattern = make();
    for (const result of hostileResults) await settled(pattern.execute(result.make));
    let running = 0;
    let peak = 0;
    const calls = Array.from({ length: 3 }, () =>
      settled(
        pattern.execute(async () => {
          peak = Math.max(peak, ++running);
          await Promise.resolve();
          running--;
        }),
      ),
    );
    const outcomes = await Promise.all(calls);
    expect(peak).toBe(1);
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1);
    expect(pattern.inUse()).toBe(0);
  });
});

/** Patterns without a slot: `execute` still returns a promise that ends as the result says. */
const otherPatterns: ReadonlyArray<{ readonly name: string; readonly make: (clock: ManualClock) => Policy }> = [
  { name: 'Timeout', make: (clock) => new Timeout({ registry: false, clock, timeoutMs: 100 }) },
  { name: 'CircuitBreaker', make: (clock) => new CircuitBreaker({ registry: false, clock }) },
  { name: 'Retry', make: (clock) => new Retry({ registry: false, clock, maxAttempts: 1 }) },
  { name: 'RateLimiter', make: (clock) => new RateLimiter({ registry: false, clock, limit: 10, windowMs: 1_000 }) },
  { name: 'compose()', make: (clock) => compose(new Retry({ registry: false, clock, maxAttempts: 1 }), new Timeout({ registry: false, clock, timeoutMs: 100 })) },
];

describe.each(otherPatterns)('$name, when fn returns a hostile result', ({ make }) => {
  it.each(hostileResults)('returns a promise for $name that ends as the result says', async (result) => {
    const clock = new ManualClock();
    const policy = make(clock);
    let call: Promise<unknown> | undefined;
    expect(() => {
      call = policy.execute(result.make);
    }).not.toThrow();
    expect(call).toBeInstanceOf(Promise);
    const ended = await settled(call as Promise<unknown>);
    if (result.ends !== undefined) expect(ended).toEqual(result.ends);
    await clock.advance(1_000);
    if (policy instanceof Timeout) expect(policy.stats()).toMatchObject({ inFlight: 0, timedOut: 0 });
  });
});
