import { afterEach, describe, expect, it, vi } from 'vitest';
import { bus, ConfigError, Retry, type RetryEvent, type RetryExhaustedEvent } from '../../src/index';
import { ManualClock } from '../support/manual-clock';

class TransientError extends Error {}
class FatalError extends Error {}

/** A function that fails `failures` times, then returns 'ok'; counts its calls. */
function flaky(failures: number, error: () => unknown = () => new TransientError('transient')) {
  const fn = vi.fn(async () => {
    if (fn.mock.calls.length <= failures) throw error();
    return 'ok';
  });
  return fn;
}

const noDelay = { backoff: 'constant', initialDelayMs: 0, jitter: 'none' } as const;

afterEach(() => {
  vi.useRealTimers();
});

describe('Retry', () => {
  it('makes maxAttempts tries in total and then throws the last error itself', async () => {
    const errors = [new TransientError('1'), new TransientError('2'), new TransientError('3')];
    let call = 0;
    const retry = new Retry({ maxAttempts: 3, ...noDelay });
    const result = retry.execute(async () => {
      throw errors[call++];
    });
    await expect(result).rejects.toBe(errors[2]);
    expect(call).toBe(3);
  });

  it('returns the first success after failures, counting tries in ctx.attempt', async () => {
    const attempts: number[] = [];
    const fn = flaky(2);
    const retry = new Retry({ maxAttempts: 5, ...noDelay });
    await expect(
      retry.execute((ctx) => {
        attempts.push(ctx.attempt);
        return fn();
      }),
    ).resolves.toBe('ok');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('retries synchronous throws and accepts synchronous results', async () => {
    let calls = 0;
    const retry = new Retry(noDelay);
    await expect(
      retry.execute(() => {
        if (++calls < 2) throw new Error('sync');
        return 7;
      }),
    ).resolves.toBe(7);
  });

  it('retries only errors the exception handler handles', async () => {
    const fatal = new FatalError('bug');
    const fn = vi.fn(async () => {
      throw fatal;
    });
    const retry = new Retry({ maxAttempts: 5, ...noDelay, exceptions: { handle: [TransientError] } });
    await expect(retry.execute(fn)).rejects.toBe(fatal);
    expect(fn).toHaveBeenCalledTimes(1);

    const ignoring = new Retry({ maxAttempts: 5, ...noDelay, exceptions: { ignore: [FatalError] } });
    const again = vi.fn(async () => {
      throw fatal;
    });
    await expect(ignoring.execute(again)).rejects.toBe(fatal);
    expect(again).toHaveBeenCalledTimes(1);

    const byPredicate = new Retry({ maxAttempts: 3, ...noDelay, exceptions: { handle: (e) => e instanceof TransientError } });
    const transient = flaky(2);
    await expect(byPredicate.execute(transient)).resolves.toBe('ok');
  });

  it('retries results that retryOnResult rejects and returns the last result when tries run out', async () => {
    const responses = [{ status: 503 }, { status: 503 }, { status: 200 }];
    let index = 0;
    const retry = new Retry({ maxAttempts: 3, ...noDelay, retryOnResult: (r) => (r as { status: number }).status >= 500 });
    await expect(retry.execute(async () => responses[index++])).resolves.toEqual({ status: 200 });

    const alwaysBusy = new Retry({ maxAttempts: 2, ...noDelay, retryOnResult: () => true });
    let tries = 0;
    await expect(alwaysBusy.execute(() => ({ status: 503, try: ++tries }))).resolves.toEqual({ status: 503, try: 2 });
  });

  it('waits the backoff delays between tries', async () => {
    const clock = new ManualClock();
    const started: number[] = [];
    const retry = new Retry({ maxAttempts: 4, backoff: 'exponential', initialDelayMs: 100, multiplier: 2, jitter: 'none', clock });
    const result = retry.execute(async () => {
      started.push(clock.now());
      throw new TransientError('down');
    });
    const settled = expect(result).rejects.toBeInstanceOf(TransientError);
    await clock.advance(10_000);
    await settled;
    const t0 = started[0] as number;
    expect(started.map((t) => t - t0)).toEqual([0, 100, 300, 700]);
  });

  it('honours retryAfterMs on an error, capped by maxDelayMs', async () => {
    const clock = new ManualClock();
    const started: number[] = [];
    const rateLimited = Object.assign(new Error('429'), { retryAfterMs: 5_000 });
    const retry = new Retry({ maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2_000, jitter: 'none', clock });
    const result = retry.execute(async () => {
      started.push(clock.now());
      if (started.length === 1) throw Object.assign(new Error('429'), { retryAfterMs: 700 });
      throw rateLimited;
    });
    const settled = expect(result).rejects.toBe(rateLimited);
    await clock.advance(10_000);
    await settled;
    const t0 = started[0] as number;
    expect(started.map((t) => t - t0)).toEqual([0, 700, 2_700]);
  });

  it('keeps the backoff for a retryAfterMs hint of 0', async () => {
    const clock = new ManualClock();
    const started: number[] = [];
    const retry = new Retry({ maxAttempts: 2, backoff: 'constant', initialDelayMs: 250, jitter: 'none', clock });
    const busy = Object.assign(new Error('busy'), { retryAfterMs: 0 });
    const result = retry.execute(async () => {
      started.push(clock.now());
      throw busy;
    });
    const settled = expect(result).rejects.toBe(busy);
    await clock.advance(1_000);
    await settled;
    expect((started[1] as number) - (started[0] as number)).toBe(250);
  });

  it("ends a backoff sleep at once when the caller aborts, with the caller's reason", async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const retry = new Retry({ maxAttempts: 5, backoff: 'constant', initialDelayMs: 60_000, clock });
    const fn = vi.fn(async () => {
      throw new TransientError('down');
    });
    const result = retry.execute(fn, { signal: controller.signal });
    await clock.advance(1);
    const reason = new Error('shutting down');
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not retry once the caller has aborted, even for a handled error', async () => {
    const controller = new AbortController();
    const retry = new Retry({ maxAttempts: 5, ...noDelay });
    const reason = new Error('cancelled');
    const fn = vi.fn(async () => {
      controller.abort(reason);
      throw new TransientError('failed because cancelled');
    });
    await expect(retry.execute(fn, { signal: controller.signal })).rejects.toBe(reason);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('emits retry, success and exhausted events on the instance and the bus', async () => {
    const retry = new Retry({ maxAttempts: 2, ...noDelay, name: 'events-retry' });
    const retries: RetryEvent[] = [];
    const exhausted: RetryExhaustedEvent[] = [];
    const onBus = vi.fn();
    retry.events.on('retry', (e) => retries.push(e));
    retry.events.on('exhausted', (e) => exhausted.push(e));
    bus.on('retry:success', onBus);
    try {
      await retry.execute(flaky(1));
      await retry.execute(flaky(5)).catch(() => {});
    } finally {
      bus.off('retry:success', onBus);
    }
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatchObject({
      type: 'retry',
      patternType: 'retry',
      patternName: 'events-retry',
      attempt: 1,
      delayMs: 0,
    });
    expect(retries[0]?.error).toBeInstanceOf(TransientError);
    expect(typeof retries[0]?.timestamp).toBe('number');
    expect(onBus).toHaveBeenCalledWith(expect.objectContaining({ type: 'success', attempts: 2, patternName: 'events-retry' }));
    expect(exhausted).toEqual([expect.objectContaining({ attempts: 2, reason: 'maxAttempts' })]);
  });

  it('counts outcomes in stats()', async () => {
    const retry = new Retry({ maxAttempts: 2, ...noDelay, exceptions: { handle: [TransientError] } });
    await retry.execute(async () => 1);
    await retry.execute(flaky(1));
    await retry.execute(flaky(3)).catch(() => {});
    await retry.execute(flaky(1, () => new FatalError('bug'))).catch(() => {});
    expect(retry.stats()).toEqual({
      succeededWithoutRetry: 1,
      succeededAfterRetry: 1,
      failedWithoutRetry: 1,
      failedAfterRetry: 1,
      retries: 2,
      retriesDeniedByBudget: 0,
    });
  });

  it('calls onException for each handled failure and transform for the error it gives up with', async () => {
    const reasons: Array<[string, unknown]> = [];
    const retry = new Retry({
      maxAttempts: 3,
      ...noDelay,
      name: 'transforming',
      exceptions: {
        onException: (ctx) => {
          reasons.push([ctx.reason, ctx.metadata['attempt']]);
        },
        transform: (error, ctx) => new Error(`${ctx.patternName} gave up: ${(error as Error).message}`, { cause: error }),
      },
    });
    await expect(retry.execute(flaky(10))).rejects.toThrow('transforming gave up: transient');
    expect(reasons).toEqual([
      ['callFailed', 1],
      ['callFailed', 2],
      ['retryExhausted', 3],
    ]);
  });

  it('keeps the outcome when onException throws or rejects, and logs it', async () => {
    const retry = new Retry({
      maxAttempts: 2,
      ...noDelay,
      exceptions: {
        onException: (ctx) => {
          if (ctx.reason === 'callFailed') throw new Error('listener bug');
          return Promise.reject(new Error('async listener bug'));
        },
      },
    });
    await expect(retry.execute(flaky(1))).resolves.toBe('ok');
    await expect(retry.execute(flaky(5))).rejects.toBeInstanceOf(TransientError);
  });

  it('works with vi fake timers through the default clock', async () => {
    vi.useFakeTimers();
    const retry = new Retry({ maxAttempts: 3, backoff: 'constant', initialDelayMs: 1_000, jitter: 'none' });
    const fn = flaky(2);
    const result = retry.execute(fn);
    await vi.advanceTimersByTimeAsync(999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1_001);
    await expect(result).resolves.toBe('ok');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects invalid options with one ConfigError naming each field', () => {
    const build = () =>
      new Retry({
        maxAttempts: 0,
        initialDelayMs: -5,
        jitter: 'sometimes' as never,
        maxAttempt: 3,
      } as never);
    expect(build).toThrow(ConfigError);
    try {
      build();
    } catch (error) {
      const paths = (error as ConfigError).issues.map((issue) => issue.path);
      expect(paths).toEqual(expect.arrayContaining(['maxAttempts', 'initialDelayMs', 'jitter', 'maxAttempt']));
      expect((error as ConfigError).message).toMatch(/maxAttempts: .*≥ 1.*got 0/);
      expect((error as ConfigError).message).toMatch(/maxAttempt: unknown option/);
    }
  });

  it('refuses backoff parameters given both at the top level and in the backoff object', () => {
    expect(() => new Retry({ initialDelayMs: 5, backoff: { type: 'linear', initialDelayMs: 10 } })).toThrow(
      /initialDelayMs: is set both here and in backoff/,
    );
  });

  it('lists a backoff conflict together with the other bad fields', () => {
    expect(() => new Retry({ maxAttempts: -1, jitter: 'none', backoff: { jitter: 'full' } })).toThrow(
      /maxAttempts: must be an integer ≥ 1[\s\S]*jitter: is set both here and in backoff/,
    );
  });

  it('counts a call whose last result retryOnResult still rejects as failed', async () => {
    const retry = new Retry({ maxAttempts: 2, ...noDelay, retryOnResult: () => true });
    await retry.execute(() => 'busy');
    expect(retry.stats()).toMatchObject({ failedAfterRetry: 1, succeededAfterRetry: 0, retries: 1 });
  });

  it('uses backoff parameters given as an object', async () => {
    const clock = new ManualClock();
    const started: number[] = [];
    const retry = new Retry({ maxAttempts: 3, backoff: { type: 'linear', initialDelayMs: 50, jitter: 'none' }, clock });
    const result = retry.execute(async () => {
      started.push(clock.now());
      throw new TransientError('x');
    });
    const settled = expect(result).rejects.toBeInstanceOf(TransientError);
    await clock.advance(1_000);
    await settled;
    const t0 = started[0] as number;
    expect(started.map((t) => t - t0)).toEqual([0, 50, 150]);
  });

  it('uses a backoff function with the failed attempt and its error', async () => {
    const clock = new ManualClock();
    const seen: Array<[number, unknown]> = [];
    const error = new TransientError('x');
    const retry = new Retry({
      maxAttempts: 3,
      backoff: (attempt, e) => {
        seen.push([attempt, e]);
        return attempt * 10;
      },
      clock,
    });
    const result = retry.execute(async () => {
      throw error;
    });
    const settled = expect(result).rejects.toBe(error);
    await clock.advance(100);
    await settled;
    expect(seen).toEqual([
      [1, error],
      [2, error],
    ]);
  });
});

describe('Retry robustness', () => {
  it('returns the result when retryOnResult throws', async () => {
    const retry = new Retry({ maxAttempts: 3, retryOnResult: (r) => (r as { status: number }).status === 503 });
    await expect(retry.execute(() => undefined)).resolves.toBeUndefined();
    await expect(retry.execute(async () => null)).resolves.toBeNull();
  });

  it('does not count a retry whose backoff sleep the caller aborted', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const retry = new Retry({ maxAttempts: 3, initialDelayMs: 1_000, jitter: 'none', clock });
    const result = retry.execute(() => Promise.reject(new TransientError('down')), { signal: controller.signal });
    await clock.advance(10);
    controller.abort(new Error('gone'));
    await expect(result).rejects.toThrow('gone');
    expect(retry.stats()).toMatchObject({ retries: 0, failedWithoutRetry: 1 });
  });
});
