import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TIMER_DELAY_MS } from '../../../src/core/clock';
import {
  acquireOptionsSchema,
  extendBelowTtl,
  isValidAcquire,
  withLockOptionsSchema,
} from '../../../src/redis/lock/options';

/**
 * `acquire` and `withLock` check their options by hand on every call and fall back to the zod
 * schema only when the hand-written check says no. The two must agree on every input: a check
 * that accepts what the schema refuses lets bad options through, one that refuses what the schema
 * accepts sends good calls down the slow path. Every field of each schema's shape is drawn (so a
 * field added to a schema is drawn too), each absent, present but undefined, or any of values
 * chosen around the bounds, plus keys neither knows.
 */
const numbers = [
  1,
  250,
  0.5,
  1e-9,
  0,
  -0,
  -1,
  MAX_TIMER_DELAY_MS,
  MAX_TIMER_DELAY_MS + 1,
  MAX_TIMER_DELAY_MS - 0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];
const others = ['100', null, true, {}, [], () => 1, 10n];
const signals = [new AbortController().signal, AbortSignal.abort(), new EventTarget()];

const fieldValue = fc.oneof(fc.constantFrom<unknown>(undefined, ...numbers, ...others, ...signals), fc.double());
const unknownKeys = ['extendEveryMs', 'ttl', 'key', 'redis', 'timeoutMs'];

/** Options made of any subset of `known` and `unknownKeys`, each set to any drawn value. */
function optionsArbitrary(known: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const keys = [...new Set([...known, ...unknownKeys])];
  return fc.record(Object.fromEntries(keys.map((key) => [key, fieldValue])), { requiredKeys: [] });
}

/** Mostly-valid options: each known field from a small set, so that the valid cases are drawn often. */
function nearValidArbitrary(known: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const value = fc.constantFrom<unknown>(undefined, 1, 100, 5000, 0, -1, Number.NaN, MAX_TIMER_DELAY_MS, signals[0], 'x');
  return fc.record(Object.fromEntries(known.map((key) => [key, value])), { requiredKeys: [] });
}

function schemaAccepts(options: unknown, withLock: boolean): boolean {
  if (!withLock) return acquireOptionsSchema.safeParse(options).success;
  const parsed = withLockOptionsSchema.safeParse(options);
  return parsed.success && extendBelowTtl(parsed.data).length === 0;
}

describe.each([
  { method: 'acquire', withLock: false, known: Object.keys(acquireOptionsSchema.shape) },
  { method: 'withLock', withLock: true, known: Object.keys(withLockOptionsSchema.shape) },
])("Lock.$method's hand-written option check", ({ withLock, known }) => {
  it('accepts exactly what its schema (and cross-field check) accepts', () => {
    fc.assert(
      fc.property(fc.oneof(optionsArbitrary(known), nearValidArbitrary(known)), (options) => {
        expect(isValidAcquire(options, withLock)).toBe(schemaAccepts(options, withLock));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses what is not an options object, as the schema does', () => {
    for (const options of [undefined, null, 5, 'ttlMs', true]) {
      expect(isValidAcquire(options, withLock)).toBe(false);
      expect(schemaAccepts(options, withLock)).toBe(false);
    }
  });
});
