import { afterEach, describe, expect, it, vi } from 'vitest';
import { bus } from '../../src/bus';
import { isRejectedError } from '../../src/core/errors';
import type { ExceptionContext } from '../../src/core/exceptions';
import { setLogger } from '../../src/core/logger';
import { compose } from '../../src/core/policy';
import { Registry } from '../../src/core/registry';
import { MemoryStore, RateLimiter, RateLimitError, type RateLimitResult, type RateLimitRule } from '../../src/rate-limiter/index';
import { Timeout } from '../../src/timeout/index';
import { limiterOnClock } from './support';

afterEach(() => {
  setLogger();
});

/** Fails a test whose promise was expected to reject. */
function unexpected(): never {
  throw new Error('expected a rejection');
}

describe('RateLimiter.consume', () => {
  it('admits limit units per window and reports limit, remaining, resetMs and retryAfterMs', async () => {
    const { limiter, clock } = limiterOnClock({ limit: 3, windowMs: 1_000 });
    expect(await limiter.consume('a')).toEqual({ allowed: true, limit: 3, windowIndex: 0, remaining: 2, resetMs: 1_000, retryAfterMs: 0 });
    await clock.advance(100);
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 1, resetMs: 1_000 });
    await clock.advance(100);
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 0 });
    await clock.advance(100);
    expect(await limiter.consume('a')).toEqual({ allowed: false, limit: 3, windowIndex: 0, remaining: 0, resetMs: 900, retryAfterMs: 700 });
    expect(await limiter.consume('b')).toMatchObject({ allowed: true, remaining: 2 });
    await clock.advance(700);
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.stats()).toMatchObject({ admitted: 5, rejected: 1, storeErrors: 0, storeFailing: false });
  });

  it('consumes a cost above 1 atomically and refuses a cost above the limit with retryAfterMs Infinity', async () => {
    const { limiter } = limiterOnClock({ limit: 5, windowMs: 1_000 });
    expect(await limiter.consume('a', 4)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await limiter.consume('a', 2)).toMatchObject({ allowed: false, remaining: 1, retryAfterMs: 1_000 });
    expect(await limiter.consume('a', 1)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await limiter.consume('b', 6)).toMatchObject({ allowed: false, retryAfterMs: Infinity, remaining: 5 });
  });

  it('rejects a cost that is not an integer ≥ 1 with a RangeError', async () => {
    const { limiter } = limiterOnClock({ limit: 5, windowMs: 1_000 });
    await expect(limiter.consume('a', 0)).rejects.toBeInstanceOf(RangeError);
    await expect(limiter.consume('a', 1.5)).rejects.toThrow(/integer ≥ 1, got 1.5/);
  });
});

describe('RateLimiter stores', () => {
  it('takes answers from any store that returns a result, a promise or another thenable', async () => {
    const memory = new MemoryStore();
    type Answer = 'sync' | 'promise' | 'thenable';
    let answer: Answer = 'sync';
    const store = {
      consume(key: string, cost: number, rule: RateLimitRule): RateLimitResult | PromiseLike<RateLimitResult> {
        const result = memory.consume(key, cost, rule);
        if (answer === 'sync') return result;
        if (answer === 'promise') return Promise.resolve(result);
        return { then: (resolve) => Promise.resolve(resolve?.(result)) } as PromiseLike<RateLimitResult>;
      },
    };
    const limiter = new RateLimiter({ limit: 6, windowMs: 60_000, store, registry: false });
    for (const kind of ['sync', 'promise', 'thenable'] as const) {
      answer = kind;
      expect(await limiter.consume('k')).toMatchObject({ allowed: true });
      expect(await limiter.execute(() => kind, { key: 'k' })).toBe(kind);
    }
    await expect(limiter.execute(() => 'ran', { key: 'k' })).rejects.toBeInstanceOf(RateLimitError);
    expect(limiter.stats()).toMatchObject({ admitted: 6, rejected: 1 });
  });
});

describe('RateLimiter.execute', () => {
  it('runs fn when admitted and rejects with a stackless RateLimitError when refused, never running fn', async () => {
    const { limiter } = limiterOnClock({ limit: 1, windowMs: 1_000, name: 'api' });
    await expect(limiter.execute(() => 'ran')).resolves.toBe('ran');
    const fn = vi.fn();
    const refused = limiter.execute(fn);
    await expect(refused).rejects.toBeInstanceOf(RateLimitError);
    await expect(refused).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      name: 'RateLimitError',
      policyName: 'api',
      reason: 'limitReached',
      limit: 1,
      remaining: 0,
      retryAfterMs: 1_000,
      message: 'Rate limiter "api" allows 1 per window: the call was not made',
    });
    const error = await refused.then(unexpected, (caught: unknown) => caught as Error);
    expect(isRejectedError(error)).toBe(true);
    expect(error.stack).toMatch(/no stack trace: set captureRejectionStacks/);
    expect(fn).not.toHaveBeenCalled();
  });

  it('captures a real stack with captureRejectionStacks', async () => {
    const { limiter } = limiterOnClock({ limit: 1, windowMs: 1_000, captureRejectionStacks: true });
    await limiter.execute(() => 1);
    const error = await limiter.execute(() => 2).then(unexpected, (caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ reason: 'limitReached', limit: 1, retryAfterMs: 1_000, remaining: 0 });
    expect(error.stack).toMatch(/rate-limiter/);
  });

  it('gives each refusal its own retryAfterMs and the limit of the window that refused it', async () => {
    const { limiter, clock } = limiterOnClock({
      limits: [
        { limit: 1, windowMs: 1_000 },
        { limit: 2, windowMs: 10_000 },
      ],
    });
    const refusal = (): Promise<RateLimitError> =>
      limiter.execute(() => 0).then(unexpected, (caught: unknown) => caught as RateLimitError);
    await limiter.execute(() => 0);
    const first = await refusal();
    await clock.advance(400);
    const second = await refusal();
    await clock.advance(600);
    await limiter.execute(() => 0);
    await clock.advance(1_000);
    const third = await refusal();
    expect([first, second, third].map(({ limit, retryAfterMs, reason }) => ({ limit, retryAfterMs, reason }))).toEqual([
      { limit: 1, retryAfterMs: 1_000, reason: 'limitReached' },
      { limit: 1, retryAfterMs: 600, reason: 'limitReached' },
      { limit: 2, retryAfterMs: 8_000, reason: 'limitReached' },
    ]);
    expect(first.message).toBe(second.message);
    expect(third.message).toMatch(/allows 2 per window/);
  });

  it('takes the key from execute options first, then the key function, then the key string', async () => {
    const seen: string[] = [];
    const store = new MemoryStore();
    const spy = vi.spyOn(store, 'consume');
    const byFunction = new RateLimiter({
      registry: false,
      limit: 10,
      windowMs: 1_000,
      store,
      key: (ctx) => `p-${ctx.priority}`,
    });
    await byFunction.execute(() => seen.push('x'), { key: 'user-1' });
    await byFunction.execute(() => seen.push('y'), { priority: 'high' });
    const byString = new RateLimiter({ registry: false, limit: 10, windowMs: 1_000, store, key: 'tenant' });
    await byString.execute(() => 0);
    const byDefault = new RateLimiter({ registry: false, limit: 10, windowMs: 1_000, store });
    await byDefault.execute(() => 0);
    expect(spy.mock.calls.map((call) => call[0])).toEqual(['user-1', 'p-high', 'tenant', 'default']);
  });

  it('reads ctx.key inside a composition', async () => {
    const { limiter } = limiterOnClock({ limit: 1, windowMs: 1_000 });
    const pipeline = compose(new Timeout({ timeoutMs: 1_000, registry: false }), limiter);
    await pipeline.execute(() => 1, { key: 'k1' });
    await expect(pipeline.execute(() => 2, { key: 'k1' })).rejects.toBeInstanceOf(RateLimitError);
    await expect(pipeline.execute(() => 3, { key: 'k2' })).resolves.toBe(3);
  });

  it('consumes the cost option, a number or a function of the context', async () => {
    const { limiter } = limiterOnClock({ limit: 10, windowMs: 1_000, cost: (ctx) => (ctx.priority === 'low' ? 6 : 1) });
    await limiter.execute(() => 0, { priority: 'low' });
    expect(await limiter.consume('default', 4)).toMatchObject({ allowed: true, remaining: 0 });
    const fixed = limiterOnClock({ limit: 10, windowMs: 1_000, cost: 4 }).limiter;
    await fixed.execute(() => 0);
    await fixed.execute(() => 0);
    await expect(fixed.execute(() => 0)).rejects.toMatchObject({ retryAfterMs: 1_000 });
  });

  it('rejects with the error of a throwing key function and with RangeError for a bad cost, never running fn', async () => {
    const fn = vi.fn();
    const boom = new Error('no key');
    const { limiter } = limiterOnClock({ limit: 1, windowMs: 1_000, key: () => { throw boom; } });
    await expect(limiter.execute(fn)).rejects.toBe(boom);
    const badCost = limiterOnClock({ limit: 1, windowMs: 1_000, cost: () => 0 }).limiter;
    await expect(badCost.execute(fn)).rejects.toBeInstanceOf(RangeError);
    expect(fn).not.toHaveBeenCalled();
  });

  it('rejects at once with the reason of an already-aborted signal, consuming nothing', async () => {
    const { limiter } = limiterOnClock({ limit: 1, windowMs: 1_000 });
    const reason = new Error('gone');
    await expect(limiter.execute(() => 1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(await limiter.consume('default')).toMatchObject({ allowed: true });
  });

  it("passes fn's results and errors through unchanged", async () => {
    const { limiter } = limiterOnClock({ limit: 5, windowMs: 1_000 });
    const failure = new Error('fn failed');
    await expect(limiter.execute(() => Promise.reject(failure))).rejects.toBe(failure);
    await expect(limiter.execute(() => { throw failure; })).rejects.toBe(failure);
    await expect(limiter.execute(async () => 'ok')).resolves.toBe('ok');
  });
});

describe('RateLimiter events, exceptions, stats and registry', () => {
  it('emits rejected with reason limitReached on the instance and the bus, for consume and execute refusals', async () => {
    const { limiter, clock } = limiterOnClock({ limit: 1, windowMs: 1_000, name: 'evented' });
    const local: unknown[] = [];
    const global: unknown[] = [];
    limiter.events.on('rejected', (event) => local.push(event));
    const onBus = (event: unknown) => global.push(event);
    bus.on('rateLimiter:rejected', onBus);
    try {
      await limiter.consume('u', 1);
      await limiter.consume('u', 1);
      await limiter.execute(() => 0, { key: 'u' }).catch(() => {});
    } finally {
      bus.off('rateLimiter:rejected', onBus);
    }
    const event = {
      type: 'rejected',
      patternType: 'rateLimiter',
      patternName: 'evented',
      timestamp: clock.now(),
      reason: 'limitReached',
      key: 'u',
      cost: 1,
      limit: 1,
      retryAfterMs: 1_000,
      waitedMs: 0,
    };
    // The first from consume, the second from execute: the same event.
    expect(local).toEqual([event, event]);
    expect(global).toEqual([event, event]);
  });

  it('emits one rejected event with its reason per refusal also when onException and transform observe refusals', async () => {
    const { limiter } = limiterOnClock({ limit: 1, windowMs: 1_000, exceptions: { onException: () => {}, transform: (e) => e } });
    const events: unknown[] = [];
    limiter.events.on('rejected', (event) => events.push(event));
    await limiter.execute(() => 0, { key: 'k' });
    await limiter.execute(() => 0, { key: 'k', priority: 'low' }).catch(() => {});
    await limiter.consume('k', 2);
    expect(events).toEqual([
      expect.objectContaining({ reason: 'limitReached', key: 'k', cost: 1, retryAfterMs: 1_000 }),
      expect.objectContaining({ reason: 'limitReached', key: 'k', cost: 2, retryAfterMs: Infinity }),
    ]);
  });

  it('reports refusals to onException with reason rateLimited, lets transform change the error, and ignores throwing listeners', async () => {
    const reports: ExceptionContext[] = [];
    const { limiter } = limiterOnClock({
      limit: 1,
      windowMs: 1_000,
      exceptions: {
        onException: (ctx) => {
          reports.push(ctx);
          throw new Error('callback broke');
        },
        transform: (error) => new Error('too many', { cause: error }),
      },
    });
    limiter.events.on('rejected', () => {
      throw new Error('listener broke');
    });
    await limiter.execute(() => 0, { key: 'k' });
    const error = await limiter.execute(() => 0, { key: 'k' }).then(unexpected, (caught: unknown) => caught as Error);
    expect(error.message).toBe('too many');
    expect(error.cause).toBeInstanceOf(RateLimitError);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      patternType: 'rateLimiter',
      reason: 'rateLimited',
      metadata: { reason: 'limitReached', key: 'k', cost: 1, limit: 1, retryAfterMs: 1_000, waitedMs: 0 },
    });
  });

  it('joins the given registry with JSON-serialisable stats', async () => {
    const registry = new Registry();
    const limiter = new RateLimiter({ limit: 2, windowMs: 1_000, registry, name: 'registered', algorithm: 'sliding-window' });
    await limiter.consume('x');
    expect(registry.get('registered')).toBe(limiter);
    expect(JSON.parse(JSON.stringify(registry.health().instances['registered']))).toEqual({
      patternType: 'rateLimiter',
      healthy: true,
      stats: {
        windows: [{ limit: 2, windowMs: 1_000 }],
        algorithm: 'sliding-window',
        admitted: 1,
        rejected: 0,
        storeErrors: 0,
        storeFailing: false,
      },
    });
  });

  it('has nothing to stop: dispose and asyncDispose leave it deciding', async () => {
    const { limiter } = limiterOnClock({ limit: 1, windowMs: 1_000 });
    limiter.dispose();
    await limiter[Symbol.asyncDispose]();
    expect(await limiter.consume('k')).toMatchObject({ allowed: true });
    await expect(limiter.execute(() => 0, { key: 'k' })).rejects.toBeInstanceOf(RateLimitError);
  });
});
