import { afterEach, describe, expect, it, vi } from 'vitest';
import { compose, ConfigError, OperationTimeoutError, Timeout, type TimeoutEvent } from '../../src/index';
import { ManualClock } from '../support/manual-clock';

afterEach(() => {
  vi.useRealTimers();
});

const never = () => new Promise<never>(() => {});

describe('Timeout (aggressive)', () => {
  it('rejects with OperationTimeoutError at its timeoutMs and aborts ctx.signal', async () => {
    const clock = new ManualClock();
    const timeout = new Timeout({ timeoutMs: 200, clock, name: 'slow-call' });
    let signal: AbortSignal | undefined;
    const result = timeout.execute((ctx) => {
      signal = ctx.signal;
      return never();
    });
    let settled = false;
    void result.catch(() => {}).finally(() => (settled = true));
    await clock.advance(199);
    expect(settled).toBe(false);
    expect(signal?.aborted).toBe(false);
    await clock.advance(1);
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationTimeoutError);
    expect(error).toMatchObject({ code: 'OPERATION_TIMEOUT', timeoutMs: 200, policyName: 'slow-call', trigger: 'timeout' });
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
  });

  it('does not wait for fn once the time is up', async () => {
    const clock = new ManualClock();
    const timeout = new Timeout({ timeoutMs: 50, clock });
    const result = timeout.execute(never);
    const settled = expect(result).rejects.toBeInstanceOf(OperationTimeoutError);
    await clock.advance(50);
    await settled;
  });

  it('gives an already-aborted signal to fn that reads it after the time ran out', async () => {
    const clock = new ManualClock();
    const timeout = new Timeout({ timeoutMs: 10, clock });
    let read: (() => AbortSignal) | undefined;
    const result = timeout.execute((ctx) => {
      read = () => ctx.signal;
      return never();
    });
    const settled = expect(result).rejects.toBeInstanceOf(OperationTimeoutError);
    await clock.advance(10);
    await settled;
    expect(read?.().aborted).toBe(true);
  });

  it("passes fn's own result and error through unchanged", async () => {
    const timeout = new Timeout({ timeoutMs: 1_000 });
    const error = new Error('own');
    await expect(timeout.execute(async () => 'value')).resolves.toBe('value');
    await expect(timeout.execute(() => 'sync')).resolves.toBe('sync');
    await expect(timeout.execute(async () => Promise.reject(error))).rejects.toBe(error);
    await expect(
      timeout.execute(() => {
        throw error;
      }),
    ).rejects.toBe(error);
  });

  it('leaves no timer behind once its calls have ended', async () => {
    vi.useFakeTimers();
    const timeout = new Timeout({ timeoutMs: 60_000 });
    await Promise.all([timeout.execute(async () => 1), timeout.execute(async () => 2)]);
    expect(vi.getTimerCount()).toBe(0);
    const timedOut = timeout.execute(never);
    const settled = expect(timedOut).rejects.toBeInstanceOf(OperationTimeoutError);
    await vi.advanceTimersByTimeAsync(60_000);
    await settled;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('serves many in-flight calls with a single timer, each expiring at its own time', async () => {
    const clock = new ManualClock();
    const timeout = new Timeout({ timeoutMs: 100, clock });
    const outcomes: Array<[number, string]> = [];
    const start = clock.now();
    const results: Array<Promise<unknown>> = [];
    for (let i = 0; i < 4; i++) {
      results.push(
        timeout.execute(never).catch(() => {
          outcomes.push([clock.now() - start, `call ${i}`]);
        }),
      );
      expect(clock.pendingTimers).toBe(1);
      await clock.advance(10);
    }
    await clock.advance(200);
    await Promise.all(results);
    expect(outcomes).toEqual([
      [100, 'call 0'],
      [110, 'call 1'],
      [120, 'call 2'],
      [130, 'call 3'],
    ]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("rejects with the caller's reason at once when the caller aborts, and never times out afterwards", async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const onTimeout = vi.fn();
    const timeout = new Timeout({ timeoutMs: 100, clock });
    timeout.events.on('timeout', onTimeout);
    const result = timeout.execute(never, { signal: controller.signal });
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    await clock.advance(1_000);
    expect(onTimeout).not.toHaveBeenCalled();
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects at once, without running fn, when the deadline has already passed', async () => {
    const clock = new ManualClock();
    const timeout = new Timeout({ timeoutMs: 100, clock });
    const fn = vi.fn(never);
    await expect(timeout.execute(fn, { deadline: clock.now() - 1 })).rejects.toMatchObject({
      name: 'OperationTimeoutError',
      trigger: 'deadline',
      timeoutMs: 0,
    });
    expect(fn).not.toHaveBeenCalled();
  });

  it('ends an inner Timeout at the outer limit, aborting the inner signal', async () => {
    const clock = new ManualClock();
    const outer = new Timeout({ timeoutMs: 50, clock, name: 'outer' });
    const inner = new Timeout({ timeoutMs: 500, clock, name: 'inner' });
    let innerSignal: AbortSignal | undefined;
    const result = compose(outer, inner).execute((ctx) => {
      innerSignal = ctx.signal;
      return never();
    });
    const settled = expect(result).rejects.toMatchObject({ name: 'OperationTimeoutError', timeoutMs: 50 });
    await clock.advance(50);
    await settled;
    expect(innerSignal?.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('reports a timeout once when fn honours the abort and rejects afterwards', async () => {
    const clock = new ManualClock();
    const onException = vi.fn();
    const transform = vi.fn((error: unknown) => error);
    const timeout = new Timeout({ timeoutMs: 10, clock, exceptions: { onException, transform } });
    const result = timeout.execute(
      ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    const settled = expect(result).rejects.toBeInstanceOf(OperationTimeoutError);
    await clock.advance(10);
    await settled;
    expect(onException).toHaveBeenCalledTimes(1);
    expect(transform).toHaveBeenCalledTimes(1);
  });

  it('emits a timeout event with the limit and its trigger', async () => {
    const clock = new ManualClock();
    const timeout = new Timeout({ timeoutMs: 30, clock });
    const events: TimeoutEvent[] = [];
    timeout.events.on('timeout', (e) => events.push(e));
    const first = timeout.execute(never).catch(() => {});
    const second = timeout.execute(never, { timeoutMs: 20 }).catch(() => {});
    await clock.advance(30);
    await Promise.all([first, second]);
    expect(events.map((e) => [e.timeoutMs, e.trigger])).toEqual([
      [20, 'deadline'],
      [30, 'timeout'],
    ]);
  });

  it('reports timedOut to onException and applies transform', async () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    const timeout = new Timeout({
      timeoutMs: 5,
      clock,
      exceptions: {
        onException: (ctx) => {
          seen.push(`${ctx.patternType}:${ctx.reason}`);
        },
        transform: (error) => new Error('upstream too slow', { cause: error }),
      },
    });
    const result = timeout.execute(never);
    const settled = expect(result).rejects.toThrow('upstream too slow');
    await clock.advance(5);
    await settled;
    expect(seen).toEqual(['timeout:timedOut']);
  });
});

describe('Timeout (cooperative)', () => {
  it('aborts the signal and waits for fn, reporting a timeout when fn then fails', async () => {
    const clock = new ManualClock();
    const timeout = new Timeout({ timeoutMs: 100, strategy: 'cooperative', clock });
    let finished = false;
    const result = timeout.execute(
      ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            setTimeout(() => {
              finished = true;
              reject(new Error('aborted by signal'));
            }, 5);
          });
        }),
    );
    const outcome = result.catch((e: unknown) => e);
    await clock.advance(100);
    expect(finished).toBe(false);
    const error = await outcome;
    expect(finished).toBe(true);
    expect(error).toBeInstanceOf(OperationTimeoutError);
    expect((error as OperationTimeoutError).cause).toEqual(new Error('aborted by signal'));
  });

  it('returns the result of fn that completes despite the abort', async () => {
    const clock = new ManualClock();
    const timeout = new Timeout({ timeoutMs: 10, strategy: 'cooperative', clock });
    let resolveLate: ((value: string) => void) | undefined;
    const result = timeout.execute(() => new Promise<string>((resolve) => (resolveLate = resolve)));
    await clock.advance(10);
    resolveLate?.('finished anyway');
    await expect(result).resolves.toBe('finished anyway');
  });

  it("waits for fn after a caller's abort, then rejects with the caller's reason", async () => {
    const controller = new AbortController();
    const timeout = new Timeout({ timeoutMs: 1_000, strategy: 'cooperative' });
    let cleanedUp = false;
    const result = timeout.execute(
      ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            cleanedUp = true;
            reject(new Error('fn saw the abort'));
          });
        }),
      { signal: controller.signal },
    );
    const reason = new Error('caller left');
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(cleanedUp).toBe(true);
  });
});

describe('Timeout options', () => {
  it('requires a positive timeoutMs and a known strategy', () => {
    expect(() => new Timeout({} as never)).toThrow(/timeoutMs: is required/);
    expect(() => new Timeout({ timeoutMs: 0 })).toThrow(/timeoutMs: must be > 0, got 0/);
    expect(() => new Timeout({ timeoutMs: 'fast' as never })).toThrow(ConfigError);
    expect(() => new Timeout({ timeoutMs: 5, strategy: 'polite' as never })).toThrow(/strategy: /);
  });
});

describe('Timeout shared timer', () => {
  it('keeps every deadline when a timeout listener starts another call on the same Timeout', async () => {
    const clock = new ManualClock();
    const timeout = new Timeout({ timeoutMs: 100, clock });
    const firedAt: number[] = [];
    let started = false;
    timeout.events.on('timeout', () => {
      firedAt.push(clock.now());
      if (!started) {
        started = true;
        void timeout.execute(never).catch(() => {});
      }
    });
    const start = clock.now();
    const first = timeout.execute(never).catch(() => {});
    await clock.advance(50);
    const second = timeout.execute(never).catch(() => {});
    await clock.advance(300);
    await Promise.all([first, second]);
    expect(firedAt.map((t) => t - start)).toEqual([100, 150, 200]);
  });
});

describe('Timeout stats', () => {
  it('counts the calls running under the limit and those whose time ran out', async () => {
    const clock = new ManualClock();
    const timeout = new Timeout({ timeoutMs: 100, clock, registry: false });
    let release!: () => void;
    const quick = timeout.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const slow = timeout.execute(never).catch((error: unknown) => error);
    expect(timeout.stats()).toEqual({ timeoutMs: 100, inFlight: 2, timedOut: 0 });
    release();
    await quick;
    expect(timeout.stats()).toEqual({ timeoutMs: 100, inFlight: 1, timedOut: 0 });
    await clock.advance(100);
    expect(await slow).toBeInstanceOf(OperationTimeoutError);
    expect(timeout.stats()).toEqual({ timeoutMs: 100, inFlight: 0, timedOut: 1 });
  });
});
