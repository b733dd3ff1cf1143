import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  AdaptiveConcurrencyLimiter,
  Bulkhead,
  compose,
  ConfigError,
  Fallback,
  isBulwarkError,
  LoadShedder,
  Retry,
  Timeout,
  type ExecuteOptions,
  type ExecutionContext,
  type Policy,
} from '../../src/index';
import { settled } from '../support/async';
import { ManualClock } from '../support/manual-clock';

/** Options a user may pass from untyped code, and the option each one gets wrong. */
const badOptions: ReadonlyArray<[string, unknown]> = [
  ['timeoutMs', Number.NaN],
  ['timeoutMs', 'x'],
  ['timeoutMs', '50'],
  ['timeoutMs', null],
  ['timeoutMs', -1],
  ['deadline', Number.NaN],
  ['deadline', '1700000000000'],
  ['deadline', null],
  ['key', Infinity],
  ['priority', 'urgent'],
  ['priority', 1],
  ['signal', 'aborted'],
  ['signal', null],
  ['signal', new AbortController()],
  ['key', { id: 1 }],
  ['key', Number.NaN],
  ['key', null],
  ['key', true],
];

/** Every way into a call: a pattern's execute, a pipeline's, the empty pipeline's. */
function entries(): Array<[string, Policy]> {
  const clock = new ManualClock();
  return [
    ['Bulkhead', new Bulkhead({ registry: false, clock })],
    ['Retry', new Retry({ registry: false, clock })],
    ['Timeout', new Timeout({ registry: false, clock, timeoutMs: 1_000 })],
    ['Fallback', new Fallback({ registry: false, clock, fallback: () => 'fallback' })],
    ['LoadShedder', new LoadShedder({ registry: false, clock, maxInFlight: 10 })],
    ['AdaptiveConcurrencyLimiter', new AdaptiveConcurrencyLimiter({ registry: false, clock })],
    ['compose(Retry, Bulkhead)', compose(new Retry({ registry: false, clock }), new Bulkhead({ registry: false, clock }))],
    ['compose()', compose()],
  ];
}

describe('per-call options', () => {
  it.each(badOptions)('reject a call whose %s is %o with a ConfigError naming it, never running fn', async (option, value) => {
    for (const [name, policy] of entries()) {
      const fn = vi.fn(() => 'ran');
      let call: Promise<unknown> | undefined;
      expect(() => (call = policy.execute(fn, { [option]: value } as ExecuteOptions)), name).not.toThrow();
      const ended = await settled(call as Promise<unknown>);
      expect(ended, name).toEqual({ ok: false, error: expect.any(ConfigError) });
      const error = (ended as { error: ConfigError }).error;
      expect(isBulwarkError(error, 'CONFIG_INVALID')).toBe(true);
      expect(error.issues).toEqual([{ path: option, message: expect.stringContaining('expected') }]);
      expect(error.message).toContain(`${option}: expected`);
      expect(fn, name).not.toHaveBeenCalled();
    }
  });

  it('name every bad option in one error', async () => {
    const bulkhead = new Bulkhead({ registry: false });
    const error = await bulkhead
      .execute(() => 'ran', { timeoutMs: '50', deadline: Number.NaN, priority: 'urgent' } as unknown as ExecuteOptions)
      .catch((rejection: unknown) => rejection);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['priority', 'deadline', 'timeoutMs']);
    expect((error as ConfigError).message).toMatch(/Invalid execute options:\n {2}- priority: .*'urgent'/);
  });

  it('reject options that are not an object', async () => {
    for (const options of [null, 'fast', 42]) {
      const error = await new Bulkhead({ registry: false })
        .execute(() => 'ran', options as unknown as ExecuteOptions)
        .catch((rejection: unknown) => rejection);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain('(options): expected an object');
    }
  });

  it('accept every valid option, and a numeric key as its decimal string', async () => {
    const clock = new ManualClock();
    const signal = new AbortController().signal;
    const seen: ExecutionContext[] = [];
    for (const [name, policy] of entries()) {
      const result = policy.execute(
        (ctx) => {
          seen.push(ctx);
          return name;
        },
        { signal, key: 42, priority: 'low', deadline: clock.now() + 5_000, timeoutMs: 60_000 },
      );
      await expect(result).resolves.toBe(name);
    }
    expect(seen.map((ctx) => ctx.key)).toEqual(Array(seen.length).fill('42'));
    expect(seen.every((ctx) => ctx.priority === 'low')).toBe(true);
  });

  it('accept Infinity as no budget, and a past deadline as a budget already spent', async () => {
    const clock = new ManualClock();
    const bulkhead = new Bulkhead({ registry: false, clock });
    await expect(bulkhead.execute((ctx) => ctx.deadline, { timeoutMs: Infinity })).resolves.toBe(Infinity);
    await expect(bulkhead.execute((ctx) => ctx.deadline, { deadline: Infinity, timeoutMs: 10 })).resolves.toBe(clock.now() + 10);
    const timeout = new Timeout({ registry: false, clock, timeoutMs: 1_000 });
    await expect(timeout.execute(() => 'ran', { deadline: -Infinity })).rejects.toMatchObject({ code: 'OPERATION_TIMEOUT' });
  });

  it('type the key as a string or a number, and ctx.key as a string', () => {
    expectTypeOf<ExecuteOptions['key']>().toEqualTypeOf<string | number | undefined>();
    expectTypeOf<ExecutionContext['key']>().toEqualTypeOf<string | undefined>();
  });
});

describe('AdaptiveConcurrencyLimiter.acquire', () => {
  it('rejects invalid options, with a permit free or not', async () => {
    const limiter = new AdaptiveConcurrencyLimiter({ registry: false, clock: new ManualClock() });
    await expect(limiter.acquire({ timeoutMs: '50' } as unknown as ExecuteOptions)).rejects.toBeInstanceOf(ConfigError);
    await expect(limiter.acquire({ signal: null } as unknown as ExecuteOptions)).rejects.toBeInstanceOf(ConfigError);
    expect(limiter.stats().inFlight).toBe(0);
    const permit = await limiter.acquire({ key: 7, timeoutMs: 10 });
    permit.release('success');
  });
});
