import { describe, expect, it } from 'vitest';
import { ConfigError, Fallback, isBulwarkError, Retry, Timeout } from '../../src/index';

function configError(build: () => unknown): ConfigError {
  try {
    build();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('ConfigError', () => {
  it('lists every bad field with its path and reason in one error', () => {
    const error = configError(
      () =>
        new Retry({
          maxAttempts: 'three',
          multiplier: -2,
          budget: { ratio: 5 },
          exceptions: { handle: 'everything' },
          retryOnReslt: () => true,
        } as never),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(isBulwarkError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(
      ['budget.ratio', 'exceptions.handle', 'maxAttempts', 'multiplier', 'retryOnReslt'].sort(),
    );
    expect(error.message).toContain('Invalid Retry options:');
    expect(error.message).toMatch(/maxAttempts: .*expected number.*got 'three'/);
    expect(error.message).toMatch(/multiplier: must be ≥ 1, got -2/);
    expect(error.message).toMatch(/retryOnReslt: unknown option/);
  });

  it('names a missing required field', () => {
    expect(configError(() => new Timeout({ name: 'x' } as never)).issues).toEqual([{ path: 'timeoutMs', message: 'is required' }]);
    expect(configError(() => new Fallback({} as never)).issues[0]?.path).toBe('fallback');
  });

  it('rejects negative numbers and non-finite durations', () => {
    expect(configError(() => new Retry({ initialDelayMs: -1, maxDelayMs: Number.POSITIVE_INFINITY })).issues.map((i) => i.path)).toEqual([
      'initialDelayMs',
      'maxDelayMs',
    ]);
    expect(configError(() => new Timeout({ timeoutMs: -100 })).message).toMatch(/timeoutMs: must be > 0, got -100/);
  });

  it('rejects a clock without the Clock methods and an empty name', () => {
    const error = configError(() => new Retry({ clock: { now: () => 0 } as never, name: '' }));
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['clock', 'name']);
  });

  it('accepts no options at all where everything has a default', () => {
    expect(() => new Retry()).not.toThrow();
    expect(() => new Retry(undefined)).not.toThrow();
  });

  it('gives each instance a default name of its pattern type and a counter', () => {
    const first = new Retry();
    const second = new Retry();
    expect(first.name).toMatch(/^retry-\d+$/);
    expect(second.name).not.toBe(first.name);
    expect(new Timeout({ timeoutMs: 1 }).name).toMatch(/^timeout-\d+$/);
  });
});

describe('exceptions fields a pattern does not apply', () => {
  it('are refused with a ConfigError instead of silently doing nothing', async () => {
    const { Backpressure, Bulkhead, LoadShedder } = await import('../../src/index');
    class Gone extends Error {}
    const notClassifying = [
      () => new Timeout({ timeoutMs: 10, exceptions: { handle: [Gone] } }),
      () => new Bulkhead({ exceptions: { ignore: [Gone] } }),
      () => new Backpressure({ highWaterMark: 10, exceptions: { handle: () => true } }),
      () => new LoadShedder({ maxInFlight: 10, exceptions: { ignore: [Gone] } }),
    ];
    for (const build of notClassifying) expect(build).toThrow(/exceptions\.(handle|ignore): has no effect here/);
    expect(() => new Fallback({ fallback: 0, exceptions: { transform: (e) => e } })).toThrow(
      /exceptions\.transform: has no effect here: a Fallback replaces handled failures/,
    );
    expect(() => new Bulkhead({ exceptions: { onException: () => {}, transform: (e) => e } })).not.toThrow();
  });
});
