import { getEventListeners } from 'node:events';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  compose,
  Fallback,
  OperationTimeoutError,
  Retry,
  Timeout,
  wrap,
  type ExecuteOptions,
  type ExecutionContext,
  type Policy,
} from '../../src/index';
import { ManualClock } from '../support/manual-clock';

/** A policy written by a user, outside bulwark: it records the order it runs in. */
function recordingPolicy(name: string, log: string[]): Policy {
  return {
    name,
    execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
      log.push(`${name}:enter`);
      const ctx: ExecutionContext = {
        signal: options?.signal ?? new AbortController().signal,
        attempt: 1,
        key: options?.key === undefined ? undefined : String(options.key),
        priority: options?.priority ?? 'normal',
        deadline: options?.deadline,
      };
      return Promise.resolve(fn(ctx)).finally(() => log.push(`${name}:exit`));
    },
  };
}

describe('compose', () => {
  it('runs the first policy outermost and the last innermost', async () => {
    const log: string[] = [];
    const pipeline = compose(recordingPolicy('a', log), recordingPolicy('b', log), recordingPolicy('c', log));
    await pipeline.execute(() => log.push('fn'));
    expect(log).toEqual(['a:enter', 'b:enter', 'c:enter', 'fn', 'c:exit', 'b:exit', 'a:exit']);
  });

  it('is a pass-through when composing nothing, sync and async', async () => {
    const none = compose();
    await expect(none.execute(() => 42)).resolves.toBe(42);
    await expect(none.execute(async () => 'async')).resolves.toBe('async');
    await expect(
      none.execute(() => {
        throw new Error('sync throw');
      }),
    ).rejects.toThrow('sync throw');
  });

  it("reports each layer's stats, outermost first, and disposes every layer", async () => {
    const retry = new Retry({ registry: false, maxAttempts: 2, initialDelayMs: 0, jitter: 'none' });
    const timeout = new Timeout({ registry: false, timeoutMs: 1_000 });
    let disposed = 0;
    const user: Policy & { dispose(): void } = { ...recordingPolicy('user', []), dispose: () => disposed++ };
    const pipeline = compose(retry, timeout, user);
    let tries = 0;
    await pipeline.execute(() => (++tries === 1 ? Promise.reject(new Error('once')) : 'ok'));
    expect(pipeline.stats()).toEqual([
      { name: retry.name, stats: expect.objectContaining({ succeededAfterRetry: 1, retries: 1 }) },
      { name: timeout.name, stats: { timeoutMs: 1_000, inFlight: 0, timedOut: 0 } },
      { name: 'user', stats: undefined },
    ]);
    {
      await using scoped = pipeline;
      expect(scoped.name).toContain('compose(');
    }
    expect(disposed).toBe(1);
    pipeline.dispose();
    expect(disposed).toBe(2);
    expect(compose().stats()).toEqual([]);
  });

  it('runs a pipeline of one policy through that policy, and reports it', async () => {
    const fallback = new Fallback({ registry: false, fallback: 'fallback' });
    const pipeline = compose(fallback);
    await expect(pipeline.execute(() => Promise.reject(new Error('down')))).resolves.toBe('fallback');
    expect(pipeline.stats()).toEqual([{ name: fallback.name, stats: { fallbacks: 1 } }]);
  });

  it('composes a composed policy again, keeping the order', async () => {
    const log: string[] = [];
    const inner = compose(recordingPolicy('b', log), recordingPolicy('c', log));
    const outer = compose(recordingPolicy('a', log), inner, recordingPolicy('d', log));
    await outer.execute(() => log.push('fn'));
    expect(log).toEqual(['a:enter', 'b:enter', 'c:enter', 'd:enter', 'fn', 'd:exit', 'c:exit', 'b:exit', 'a:exit']);
  });

  it('hands key, priority and deadline to every layer and to fn', async () => {
    const seen: Array<Pick<ExecutionContext, 'key' | 'priority' | 'deadline'>> = [];
    const pipeline = compose(new Retry({ maxAttempts: 1 }), recordingPolicy('user', []), new Fallback({ fallback: 0 }));
    await pipeline.execute(
      (ctx) => {
        seen.push({ key: ctx.key, priority: ctx.priority, deadline: ctx.deadline });
        return 1;
      },
      { key: 'user-7', priority: 'high', deadline: 4_102_444_800_000 },
    );
    expect(seen).toEqual([{ key: 'user-7', priority: 'high', deadline: 4_102_444_800_000 }]);
  });

  it('lets Fallback catch what Retry gives up on, with each try timed by Timeout', async () => {
    const clock = new ManualClock();
    let tries = 0;
    const pipeline = compose(
      new Fallback({ fallback: 'fallback value' }),
      new Retry({ maxAttempts: 3, backoff: 'constant', initialDelayMs: 10, jitter: 'none', clock }),
      new Timeout({ timeoutMs: 100, clock }),
    );
    const result = pipeline.execute(() => {
      tries++;
      return new Promise(() => {});
    });
    await clock.advance(1_000);
    await expect(result).resolves.toBe('fallback value');
    expect(tries).toBe(3);
  });
});

describe('wrap', () => {
  it('keeps the parameters and the awaited result type of the wrapped function', () => {
    const retry = new Retry();
    const wrapped = wrap(retry, async (id: string, count: number) => ({ id, count }));
    expectTypeOf(wrapped).parameters.toEqualTypeOf<[string, number]>();
    expectTypeOf(wrapped).returns.toEqualTypeOf<Promise<{ id: string; count: number }>>();
    const fromSync = wrap(retry, (flag: boolean) => (flag ? 1 : 'no'));
    expectTypeOf(fromSync).toEqualTypeOf<(flag: boolean) => Promise<1 | 'no'>>();
  });

  it('runs each call through the policy with its arguments', async () => {
    let calls = 0;
    const add = wrap(new Retry({ maxAttempts: 2, initialDelayMs: 0 }), async (a: number, b: number) => {
      calls++;
      if (calls === 1) throw new Error('transient');
      return a + b;
    });
    await expect(add(2, 3)).resolves.toBe(5);
    expect(calls).toBe(2);
  });
});

describe('abort', () => {
  const policies = (): Array<[string, Policy]> => [
    ['Retry', new Retry()],
    ['Timeout', new Timeout({ timeoutMs: 1_000 })],
    ['Fallback', new Fallback({ fallback: 'fallback' })],
    ['compose', compose(new Fallback({ fallback: 'fallback' }), new Retry(), new Timeout({ timeoutMs: 1_000 }))],
    ['compose()', compose()],
  ];

  it.each(policies())('%s rejects at once with the reason of an already-aborted signal', async (_, policy) => {
    const reason = new Error('caller gave up');
    let ran = false;
    await expect(
      policy.execute(
        () => {
          ran = true;
        },
        { signal: AbortSignal.abort(reason) },
      ),
    ).rejects.toBe(reason);
    expect(ran).toBe(false);
  });

  it.each(policies())("%s passes the caller's signal to fn, aborting when the caller aborts", async (_, policy) => {
    const controller = new AbortController();
    const reason = new Error('caller aborted');
    const result = policy.execute(
      ({ signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
          setTimeout(() => controller.abort(reason), 1);
        }),
      { signal: controller.signal },
    );
    await expect(result).rejects.toBe(reason);
  });

  it.each(policies())('%s leaves no listener on a long-lived signal after 100,000 calls', async (_, policy) => {
    const longLived = new AbortController().signal;
    for (let i = 0; i < 100_000; i++) {
      await policy.execute(async () => i, { signal: longLived });
    }
    expect(getEventListeners(longLived, 'abort')).toHaveLength(0);
  });

  it('leaves no listener after calls that read the signal, fail, retry and time out', async () => {
    const longLived = new AbortController().signal;
    const pipeline = compose(
      new Fallback({ fallback: 'fallback' }),
      new Retry({ maxAttempts: 2, initialDelayMs: 1 }),
      new Timeout({ timeoutMs: 5 }),
    );
    for (let i = 0; i < 200; i++) {
      await pipeline.execute(
        ({ signal }) =>
          new Promise((resolve, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason), { once: true });
            if (i % 3 === 0) resolve(i);
            else if (i % 3 === 1) reject(new Error('flaky'));
          }),
        { signal: longLived },
      );
    }
    expect(getEventListeners(longLived, 'abort')).toHaveLength(0);
  });

  it("surfaces a caller's abort during a Timeout as the caller's reason, not a timeout", async () => {
    const controller = new AbortController();
    const reason = new DOMException('user navigated away', 'AbortError');
    const timeout = new Timeout({ timeoutMs: 10_000 });
    const result = timeout.execute(() => new Promise(() => {}), { signal: controller.signal });
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
  });
});

describe('deadline budgets', () => {
  it('gives fn the deadline from timeoutMs and from deadline, the earlier winning', async () => {
    const clock = new ManualClock();
    const now = clock.now();
    const retry = new Retry({ clock });
    await expect(retry.execute((ctx) => ctx.deadline, { timeoutMs: 500 })).resolves.toBe(now + 500);
    await expect(retry.execute((ctx) => ctx.deadline, { deadline: now + 200, timeoutMs: 500 })).resolves.toBe(now + 200);
    await expect(retry.execute((ctx) => ctx.deadline)).resolves.toBeUndefined();
  });

  it('fires an inner Timeout at the remaining budget when that is shorter than its own limit', async () => {
    const clock = new ManualClock();
    const pipeline = compose(new Retry({ maxAttempts: 1, clock }), new Timeout({ timeoutMs: 10_000, clock }));
    const result = pipeline.execute(() => new Promise(() => {}), { timeoutMs: 300 });
    const settled = expect(result).rejects.toMatchObject({ name: 'OperationTimeoutError', timeoutMs: 300, trigger: 'deadline' });
    await clock.advance(299);
    await clock.advance(1);
    await settled;
  });

  it('shows fn the Timeout limit as ctx.deadline when it is earlier than the budget', async () => {
    const clock = new ManualClock();
    const timeout = new Timeout({ timeoutMs: 100, clock });
    await expect(timeout.execute((ctx) => ctx.deadline, { timeoutMs: 5_000 })).resolves.toBe(clock.now() + 100);
  });

  it('does not start a retry whose backoff would end after the deadline', async () => {
    const clock = new ManualClock();
    let tries = 0;
    const retry = new Retry({ maxAttempts: 10, backoff: 'constant', initialDelayMs: 100, jitter: 'none', clock });
    const failure = new Error('down');
    const result = retry.execute(
      () => {
        tries++;
        throw failure;
      },
      { timeoutMs: 250 },
    );
    const settled = expect(result).rejects.toBe(failure);
    await clock.advance(1_000);
    await settled;
    expect(tries).toBe(3);
    expect(OperationTimeoutError).toBeDefined();
  });
});
