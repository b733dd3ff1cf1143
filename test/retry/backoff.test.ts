import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, type BackoffSettings, type Jitter } from '../../src/retry/backoff';

const kinds = ['constant', 'linear', 'exponential'] as const;
const jitters: Jitter[] = ['full', 'equal', 'decorrelated', 'none'];

const settingsArbitrary = fc.record({
  kind: fc.constantFrom(...kinds),
  initialDelayMs: fc.integer({ min: 0, max: 10_000 }),
  multiplier: fc.double({ min: 1, max: 5, noNaN: true }),
  maxDelayMs: fc.integer({ min: 0, max: 60_000 }),
  jitter: fc.constantFrom(...jitters),
  random: fc.double({ min: 0, max: 0.999_999, noNaN: true }).map((value) => () => value),
});

function undisturbed(settings: BackoffSettings, attempt: number): number {
  const { kind, initialDelayMs, multiplier, maxDelayMs } = settings;
  const base = kind === 'constant' ? initialDelayMs : kind === 'linear' ? initialDelayMs * attempt : initialDelayMs * multiplier ** (attempt - 1);
  return Math.min(base, maxDelayMs);
}

describe('backoffDelay', () => {
  it('stays within [0, maxDelayMs] for every kind, jitter, attempt and random draw', () => {
    fc.assert(
      fc.property(settingsArbitrary, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 100_000 }), (settings, attempt, previous) => {
        const delay = backoffDelay(settings, attempt, previous, undefined);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(settings.maxDelayMs);
        expect(Number.isFinite(delay)).toBe(true);
      }),
    );
  });

  it('puts full jitter in [0, d], equal jitter in [d/2, d] and no jitter at d', () => {
    fc.assert(
      fc.property(settingsArbitrary, fc.integer({ min: 1, max: 30 }), (settings, attempt) => {
        const d = undisturbed(settings, attempt);
        const delay = backoffDelay(settings, attempt, 0, undefined);
        if (settings.jitter === 'none') expect(delay).toBe(d);
        if (settings.jitter === 'full') expect(delay).toBeLessThanOrEqual(d);
        if (settings.jitter === 'equal') {
          expect(delay).toBeGreaterThanOrEqual(d / 2);
          expect(delay).toBeLessThanOrEqual(d);
        }
      }),
    );
  });

  it('keeps decorrelated jitter between the initial delay and three times the previous delay', () => {
    fc.assert(
      fc.property(settingsArbitrary, fc.integer({ min: 0, max: 20_000 }), (settings, previous) => {
        const decorrelated = { ...settings, jitter: 'decorrelated' as const };
        const delay = backoffDelay(decorrelated, 2, previous, undefined);
        const low = Math.min(settings.initialDelayMs, settings.maxDelayMs);
        const effectivePrevious = previous > 0 ? previous : settings.initialDelayMs;
        const high = Math.min(Math.max(settings.initialDelayMs, effectivePrevious * 3), settings.maxDelayMs);
        expect(delay).toBeGreaterThanOrEqual(low);
        expect(delay).toBeLessThanOrEqual(high);
      }),
    );
  });

  it('jitters the first decorrelated retry too, between the initial delay and three times it', () => {
    const draws = [0, 0.5, 0.999];
    const delays = draws.map((draw) =>
      backoffDelay(
        { kind: 'exponential', initialDelayMs: 100, multiplier: 2, maxDelayMs: 10_000, jitter: 'decorrelated', random: () => draw },
        1,
        0,
        undefined,
      ),
    );
    expect(delays[0]).toBe(100);
    expect(delays[1]).toBe(200);
    expect(delays[2]).toBeCloseTo(299.8);
  });

  it('grows exponential delays by the multiplier until the cap', () => {
    const settings: BackoffSettings = {
      kind: 'exponential',
      initialDelayMs: 100,
      multiplier: 3,
      maxDelayMs: 5_000,
      jitter: 'none',
      random: Math.random,
    };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(settings, attempt, 0, undefined))).toEqual([100, 300, 900, 2_700, 5_000]);
  });

  it('clamps what a backoff function returns', () => {
    const base = { initialDelayMs: 1, multiplier: 2, maxDelayMs: 1_000, jitter: 'none', random: Math.random } as const;
    expect(backoffDelay({ ...base, kind: () => -5 }, 1, 0, undefined)).toBe(0);
    expect(backoffDelay({ ...base, kind: () => Number.NaN }, 1, 0, undefined)).toBe(0);
    expect(backoffDelay({ ...base, kind: () => 99_999 }, 1, 0, undefined)).toBe(1_000);
  });
});
