import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it, vi } from 'vitest';
import {
  AdaptiveConcurrencyLimiter,
  ADAPTIVE_CONCURRENCY_LIMITER_DEFAULTS,
  type ConcurrencyRejectedEvent,
} from '../../src/adaptive-concurrency/index';
import {
  bus,
  compose,
  ConcurrencyLimitError,
  ConfigError,
  defaultRegistry,
  isBulwarkError,
  OperationTimeoutError,
  RejectedError,
  setLogger,
  Timeout,
  type ExceptionContext,
} from '../../src/index';
import { limiterOnClock } from './support';
import { deferred, isSettled, settled } from '../support/async';

class Transient extends Error {}
class NotFound extends Error {}

describe('AdaptiveConcurrencyLimiter admission', () => {
  it('admits calls up to the limit and rejects the next at once with ConcurrencyLimitError, without calling fn', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 2, name: 'redis-limit' });
    const first = deferred();
    const second = deferred();
    const running = [limiter.execute(() => first.promise), limiter.execute(() => second.promise)];
    expect(limiter.inFlight).toBe(2);
    const fn = vi.fn();
    const error = await limiter.execute(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(ConcurrencyLimitError);
    expect(error).toBeInstanceOf(RejectedError);
    expect(isBulwarkError(error, 'CONCURRENCY_LIMIT')).toBe(true);
    expect(error).toMatchObject({ limit: 2, policyName: 'redis-limit', retryAfterMs: 0, reason: 'atLimit' });
    first.resolve('a');
    second.resolve('b');
    await expect(Promise.all(running)).resolves.toEqual(['a', 'b']);
    expect(limiter.inFlight).toBe(0);
    expect(limiter.stats()).toMatchObject({
      admitted: 2,
      rejected: 1,
      rejectedByReason: { atLimit: 1, queueTimeout: 0 },
      successes: 2,
      inFlight: 0,
      queued: 0,
    });
  });

  it('builds its rejections without a stack trace unless captureRejectionStacks is set', async () => {
    const quiet = limiterOnClock({ initialLimit: 1, name: 'quiet' }).limiter;
    const holder = await quiet.acquire();
    const first = (await quiet.acquire().catch((e: unknown) => e)) as ConcurrencyLimitError;
    expect(first).toBeInstanceOf(ConcurrencyLimitError);
    expect(first.message).toBe('Concurrency limiter "quiet" is at its limit');
    expect(Object.keys(first)).toEqual(['limit']);
    expect(first.name).toBe('ConcurrencyLimitError');
    expect(first.stack).toMatch(/no stack trace: set captureRejectionStacks/);
    holder.release('ignored');
    const loud = limiterOnClock({ initialLimit: 1, captureRejectionStacks: true }).limiter;
    const held = await loud.acquire();
    const traced = (await loud.execute(() => 'x').catch((e: unknown) => e)) as ConcurrencyLimitError;
    expect(traced.stack).not.toMatch(/no stack trace/);
    expect(traced.stack).toMatch(/\n\s+at /);
    held.release('ignored');
  });

  it('gives each rejection the current limit as a field of its own, on one error shape per reason', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 1, successThreshold: 1 });
    const holder = await limiter.acquire();
    const atOne = (await limiter.acquire().catch((e: unknown) => e)) as ConcurrencyLimitError;
    expect(atOne).toMatchObject({ limit: 1, reason: 'atLimit' });
    holder.release('success');
    const holders = [await limiter.acquire(), await limiter.acquire()];
    const atTwo = (await limiter.acquire().catch((e: unknown) => e)) as ConcurrencyLimitError;
    expect(atTwo).toMatchObject({ limit: 2, reason: 'atLimit' });
    expect(atTwo.message).toBe(atOne.message);
    expect(Object.getPrototypeOf(atTwo)).toBe(Object.getPrototypeOf(atOne));
    for (const permit of holders) permit.release('ignored');
  });

  it('frees the slot however fn ends: a value, a rejection, a synchronous value or a synchronous throw', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 1, failureThreshold: 100 });
    const boom = new Error('boom');
    await expect(limiter.execute(() => Promise.resolve('async'))).resolves.toBe('async');
    await expect(limiter.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    await expect(limiter.execute(() => 'sync')).resolves.toBe('sync');
    await expect(
      limiter.execute(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(limiter.inFlight).toBe(0);
    expect(limiter.stats()).toMatchObject({ admitted: 4, successes: 2, drops: 2 });
  });

  it('passes the context to fn and the caller receives fn’s own error unchanged', async () => {
    const { limiter } = limiterOnClock();
    const notFound = new NotFound('no such key');
    const controller = new AbortController();
    let seen: { key?: string | undefined; priority: string; signal: AbortSignal } | undefined;
    await limiter.execute(
      (ctx) => {
        seen = ctx;
      },
      { key: 'user-1', priority: 'high', signal: controller.signal },
    );
    expect(seen).toMatchObject({ key: 'user-1', priority: 'high' });
    expect(seen?.signal).toBe(controller.signal);
    await expect(limiter.execute(() => Promise.reject(notFound))).rejects.toBe(notFound);
  });

  it('uses no timer for a call under the limit, even with maxWaitMs', async () => {
    const { limiter, clock } = limiterOnClock({ initialLimit: 5, maxWaitMs: 1_000 });
    const pending = deferred();
    const call = limiter.execute(() => pending.promise);
    const permit = await limiter.acquire();
    expect(clock.pendingTimers).toBe(0);
    pending.resolve('ok');
    permit.release('success');
    await call;
  });

  it('rejects at once with the caller’s reason when the signal is already aborted', async () => {
    const { limiter } = limiterOnClock();
    const reason = new Error('caller gave up');
    const fn = vi.fn();
    await expect(limiter.execute(fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(limiter.acquire({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    expect(limiter.stats()).toMatchObject({ admitted: 0, rejected: 0, inFlight: 0 });
  });
});

describe('AdaptiveConcurrencyLimiter waiting (maxWaitMs)', () => {
  it('queues calls over the limit and runs them first come, first served as slots free', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 1, maxWaitMs: 1_000 });
    const first = deferred();
    const order: string[] = [];
    const calls = [
      limiter.execute(() => first.promise),
      limiter.execute(() => (order.push('second'), 'b')),
      limiter.execute(() => (order.push('third'), 'c')),
    ];
    expect(limiter.stats().queued).toBe(2);
    expect(order).toEqual([]);
    first.resolve('a');
    await expect(Promise.all(calls)).resolves.toEqual(['a', 'b', 'c']);
    expect(order).toEqual(['second', 'third']);
    expect(limiter.stats()).toMatchObject({ queued: 0, inFlight: 0, admitted: 3, rejected: 0 });
  });

  it('hands a freed slot to the oldest waiter, never to a call that arrives meanwhile', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 1, maxWaitMs: 1_000 });
    const holder = await limiter.acquire();
    const waiter = limiter.acquire();
    holder.release('success');
    expect(limiter.inFlight).toBe(1);
    const newcomer = limiter.acquire();
    expect(limiter.stats().queued).toBe(1);
    const granted = await waiter;
    expect(await isSettled(newcomer)).toBe(false);
    granted.release('success');
    (await newcomer).release('success');
    expect(limiter.inFlight).toBe(0);
  });

  it("rejects a waiting call with ConcurrencyLimitError (queueTimeout) after maxWaitMs, without calling fn", async () => {
    const { limiter, clock } = limiterOnClock({ initialLimit: 1, maxWaitMs: 100 });
    const rejections: ConcurrencyRejectedEvent[] = [];
    limiter.events.on('rejected', (e) => rejections.push(e));
    const holder = deferred();
    const held = limiter.execute(() => holder.promise);
    const fn = vi.fn();
    const waiting = settled(limiter.execute(fn));
    await clock.advance(99);
    expect(await isSettled(waiting)).toBe(false);
    await clock.advance(1);
    const outcome = await waiting;
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? undefined : outcome.error).toBeInstanceOf(ConcurrencyLimitError);
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({ reason: 'queueTimeout', limit: 1, retryAfterMs: 0 });
    expect(rejections).toEqual([expect.objectContaining({ reason: 'queueTimeout', limit: 1, inFlight: 1 })]);
    expect(limiter.stats()).toMatchObject({ queued: 0, rejected: 1, rejectedByReason: { atLimit: 0, queueTimeout: 1 } });
    expect(clock.pendingTimers).toBe(0);
    holder.resolve('done');
    await held;
    expect(fn).not.toHaveBeenCalled();
  });

  it('stops waiting at the caller’s deadline when it comes before maxWaitMs', async () => {
    const { limiter, clock } = limiterOnClock({ initialLimit: 1, maxWaitMs: 10_000 });
    const holder = await limiter.acquire();
    const waiting = settled(limiter.execute(() => 'late', { timeoutMs: 50 }));
    await clock.advance(49);
    expect(await isSettled(waiting)).toBe(false);
    await clock.advance(1);
    const outcome = await waiting;
    expect(outcome.ok ? undefined : outcome.error).toBeInstanceOf(ConcurrencyLimitError);
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({ reason: 'queueTimeout' });
    holder.release('success');
  });

  it('rejects at once (atLimit) when the deadline has already passed', async () => {
    const { limiter, clock } = limiterOnClock({ initialLimit: 1, maxWaitMs: 10_000 });
    const reasons: string[] = [];
    limiter.events.on('rejected', (e) => reasons.push(e.reason));
    const holder = await limiter.acquire();
    await expect(limiter.acquire({ deadline: clock.now() - 1 })).rejects.toMatchObject({
      code: 'CONCURRENCY_LIMIT',
      reason: 'atLimit',
    });
    expect(reasons).toEqual(['atLimit']);
    expect(clock.pendingTimers).toBe(0);
    holder.release('success');
  });

  it('removes a waiting call at once when its signal aborts: it never runs and rejects with the caller’s reason', async () => {
    const { limiter, clock } = limiterOnClock({ initialLimit: 1, maxWaitMs: 10_000 });
    const holder = await limiter.acquire();
    const controller = new AbortController();
    const fn = vi.fn();
    const waiting = limiter.execute(fn, { signal: controller.signal });
    expect(limiter.stats().queued).toBe(1);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(limiter.stats().queued).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    await expect(waiting).rejects.toBe(reason);
    holder.release('success');
    await new Promise((resolve) => setImmediate(resolve));
    expect(fn).not.toHaveBeenCalled();
    expect(limiter.stats()).toMatchObject({ rejected: 0, admitted: 1, inFlight: 0 });
  });

  it('passes the slot on when the caller aborts after the slot was handed over but before fn started', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 1, maxWaitMs: 10_000 });
    const holder = await limiter.acquire();
    const controller = new AbortController();
    const fn = vi.fn();
    const aborted = limiter.execute(fn, { signal: controller.signal });
    const next = limiter.execute(() => 'next');
    holder.release('success');
    const reason = new Error('too late');
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    await expect(next).resolves.toBe('next');
    expect(fn).not.toHaveBeenCalled();
    expect(limiter.inFlight).toBe(0);
  });

  it('keeps the caller’s AsyncLocalStorage context across a wait', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 1, maxWaitMs: 10_000 });
    const storage = new AsyncLocalStorage<string>();
    const holder = await limiter.acquire();
    const seen = Promise.all(
      ['request-1', 'request-2'].map((id) => storage.run(id, () => limiter.execute(() => storage.getStore()))),
    );
    holder.release('success');
    await expect(seen).resolves.toEqual(['request-1', 'request-2']);
  });

  it('lets waiters in when the limit rises', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 1, maxWaitMs: 10_000, successThreshold: 1 });
    const holder = await limiter.acquire();
    const waiters = [limiter.acquire(), limiter.acquire()];
    holder.release('success');
    expect(limiter.limit).toBe(2);
    const permits = await Promise.all(waiters);
    expect(limiter.inFlight).toBe(2);
    for (const permit of permits) permit.release('ignored');
  });
});

describe('AdaptiveConcurrencyLimiter outcomes', () => {
  it('counts a success, a handled error and an OperationTimeoutError as samples, and a call its caller aborted as ignored', async () => {
    const { limiter } = limiterOnClock({ failureThreshold: 100, exceptions: { handle: [Transient] } });
    await limiter.execute(() => 'ok');
    await limiter.execute(() => Promise.reject(new Transient())).catch(() => {});
    await limiter.execute(() => Promise.reject(new OperationTimeoutError('inner', 10))).catch(() => {});
    const controller = new AbortController();
    const aborted = limiter.execute(
      ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { signal: controller.signal },
    );
    controller.abort(new Transient('caller went away'));
    await aborted.catch(() => {});
    expect(limiter.stats()).toMatchObject({ successes: 1, drops: 2, ignored: 1, admitted: 4 });
  });

  it('counts an ignored error as ignored and an error it does not handle as a success', async () => {
    const { limiter } = limiterOnClock({ exceptions: { handle: [Transient], ignore: [NotFound] } });
    await limiter.execute(() => Promise.reject(new NotFound())).catch(() => {});
    await limiter.execute(() => Promise.reject(new TypeError('bad input'))).catch(() => {});
    expect(limiter.stats()).toMatchObject({ successes: 1, drops: 0, ignored: 1 });
  });

  it('counts a Timeout inside it as a drop and shrinks the limit', async () => {
    const { limiter, clock, changes } = limiterOnClock({ initialLimit: 10, minLimit: 1 });
    const pipeline = compose(limiter, new Timeout({ timeoutMs: 100, clock, registry: false }));
    const call = settled(pipeline.execute(() => clock.sleep(1_000)));
    await clock.advance(100);
    const outcome = await call;
    expect(outcome.ok ? undefined : outcome.error).toBeInstanceOf(OperationTimeoutError);
    expect(changes).toEqual([{ from: 10, to: 9, reason: 'drop' }]);
  });

  it('tells onException of drops (callFailed) and rejections (concurrencyLimited), and transforms only its rejections', async () => {
    const reports: ExceptionContext[] = [];
    class Overloaded extends Error {}
    const { limiter } = limiterOnClock({
      initialLimit: 1,
      failureThreshold: 100,
      exceptions: {
        onException: (ctx) => void reports.push(ctx),
        transform: (error) => (error instanceof ConcurrencyLimitError ? new Overloaded('try later') : error),
      },
    });
    const failure = new Transient('down');
    await expect(limiter.execute(() => Promise.reject(failure))).rejects.toBe(failure);
    const holder = await limiter.acquire();
    await expect(limiter.execute(() => 'never')).rejects.toBeInstanceOf(Overloaded);
    holder.release('success');
    expect(reports.map((r) => [r.reason, r.patternType, r.patternName])).toEqual([
      ['callFailed', 'adaptiveConcurrency', limiter.name],
      ['concurrencyLimited', 'adaptiveConcurrency', limiter.name],
    ]);
    expect(reports[1]?.error).toBeInstanceOf(ConcurrencyLimitError);
    expect(reports[1]?.metadata).toEqual({ limit: 1, inFlight: 1, reason: 'atLimit' });
  });
});

describe('AdaptiveConcurrencyLimiter with aimd', () => {
  it('raises the limit by 1 after successThreshold successes that started with at least half the limit in flight', async () => {
    const { limiter, clock, changes } = limiterOnClock({ initialLimit: 4, successThreshold: 3 });
    // in flight at start: 1 (too few: not counted), 2, 3, 4 (counted)
    const calls = Array.from({ length: 4 }, () => limiter.execute(() => clock.sleep(10)));
    await clock.advance(10);
    await Promise.all(calls);
    expect(changes).toEqual([{ from: 4, to: 5, reason: 'success' }]);
    expect(limiter.limit).toBe(5);
  });

  it('does not grow while less than half the limit is in flight', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 4, successThreshold: 1 });
    for (let i = 0; i < 20; i++) await limiter.execute(() => 'one at a time');
    expect(limiter.limit).toBe(4);
  });

  it('cuts the limit by backoffRatio after failureThreshold drops, once for the calls admitted before the cut', async () => {
    const { limiter, clock, changes } = limiterOnClock({ initialLimit: 20, minLimit: 1, failureThreshold: 2, backoffRatio: 0.5 });
    const fail = () => clock.sleep(10).then(() => Promise.reject(new Transient()));
    const overload = Array.from({ length: 6 }, () => limiter.execute(fail).catch(() => {}));
    await clock.advance(10);
    await Promise.all(overload);
    expect(changes).toEqual([{ from: 20, to: 10, reason: 'drop' }]);
    await clock.advance(1);
    const failOnce = async () => {
      const call = limiter.execute(fail).catch(() => {});
      await clock.advance(10);
      await call;
    };
    await failOnce();
    expect(limiter.limit).toBe(10);
    await failOnce();
    expect(changes).toEqual([
      { from: 20, to: 10, reason: 'drop' },
      { from: 10, to: 5, reason: 'drop' },
    ]);
  });

  it('lowers the limit by at least 1 and keeps it within minLimit and maxLimit', async () => {
    const { limiter, clock } = limiterOnClock({ initialLimit: 3, minLimit: 2, maxLimit: 4, successThreshold: 1, backoffRatio: 0.99 });
    const holders = await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    for (const permit of holders) permit.release('success');
    expect(limiter.limit).toBe(4);
    for (let i = 0; i < 5; i++) {
      await clock.advance(1); // each drop starts after the last cut, so that each counts
      const permit = await limiter.acquire();
      permit.release('dropped');
    }
    expect(limiter.limit).toBe(2);
  });
});

describe('AdaptiveConcurrencyLimiter events, registry and config', () => {
  it('emits limitChange and rejected with their fields, on the instance and on the bus', async () => {
    const { limiter, clock } = limiterOnClock({ initialLimit: 1, successThreshold: 1, name: 'events-limiter' });
    const local: unknown[] = [];
    const onBus: Array<[string, unknown]> = [];
    limiter.events.on('*', (_type, e) => local.push(e));
    const busListener = (type: string, e: unknown) => {
      if ((e as { patternName?: string }).patternName === 'events-limiter') onBus.push([type, e]);
    };
    bus.on('*', busListener);
    try {
      const permit = await limiter.acquire();
      await limiter.acquire().catch(() => {});
      permit.release('success');
    } finally {
      bus.off('*', busListener);
    }
    const common = { patternType: 'adaptiveConcurrency', patternName: 'events-limiter', timestamp: clock.now() };
    expect(local).toEqual([
      { ...common, type: 'rejected', limit: 1, inFlight: 1, reason: 'atLimit' },
      { ...common, type: 'limitChange', from: 1, to: 2, reason: 'success' },
    ]);
    expect(onBus.map(([type]) => type)).toEqual(['adaptiveConcurrency:rejected', 'adaptiveConcurrency:limitChange']);
  });

  it('never lets a throwing listener change a call’s outcome', async () => {
    const errors: unknown[] = [];
    setLogger({ error: (object) => errors.push(object), warn: () => {}, info: () => {}, debug: () => {} });
    try {
      const { limiter } = limiterOnClock({ initialLimit: 1, successThreshold: 1 });
      limiter.events.on('limitChange', () => {
        throw new Error('listener bug');
      });
      limiter.events.on('rejected', () => {
        throw new Error('listener bug');
      });
      const permit = await limiter.acquire();
      await expect(limiter.execute(() => 'x')).rejects.toBeInstanceOf(ConcurrencyLimitError);
      permit.release('success');
      await expect(limiter.execute(() => 'value')).resolves.toBe('value');
      expect(limiter.inFlight).toBe(0);
      expect(errors.length).toBeGreaterThanOrEqual(2);
    } finally {
      setLogger();
    }
  });

  it('joins the default registry with plain-data stats, unless registry is false', () => {
    const limiter = new AdaptiveConcurrencyLimiter({ name: 'registered-limiter', algorithm: 'vegas' });
    expect(limiter.patternType).toBe('adaptiveConcurrency');
    expect(defaultRegistry.get('registered-limiter')).toBe(limiter);
    const health = defaultRegistry.health();
    expect(JSON.parse(JSON.stringify(health.instances['registered-limiter']))).toEqual({
      patternType: 'adaptiveConcurrency',
      healthy: true,
      stats: {
        algorithm: 'vegas',
        limit: 20,
        inFlight: 0,
        queued: 0,
        admitted: 0,
        rejected: 0,
        rejectedByReason: { atLimit: 0, queueTimeout: 0 },
        successes: 0,
        drops: 0,
        ignored: 0,
      },
    });
    defaultRegistry.unregister('registered-limiter');
    const hidden = new AdaptiveConcurrencyLimiter({ name: 'hidden-limiter', registry: false });
    expect(defaultRegistry.get(hidden.name)).toBeUndefined();
  });

  it('counts rejections by reason, with the same reason on the error, the event and onException', async () => {
    const reports: ExceptionContext[] = [];
    const { limiter, clock } = limiterOnClock({
      initialLimit: 1,
      maxWaitMs: 20,
      exceptions: { onException: (ctx) => void reports.push(ctx) },
    });
    const events: ConcurrencyRejectedEvent[] = [];
    limiter.events.on('rejected', (e) => events.push(e));
    const holder = await limiter.acquire();
    const waited = limiter.execute(() => 'late').catch((e: unknown) => e);
    const noTime = limiter.execute(() => 'late', { deadline: clock.now() }).catch((e: unknown) => e);
    await clock.advance(20);
    const errors = (await Promise.all([noTime, waited])) as ConcurrencyLimitError[];
    expect(errors.map((e) => e.reason)).toEqual(['atLimit', 'queueTimeout']);
    expect(events.map((e) => e.reason)).toEqual(['atLimit', 'queueTimeout']);
    expect(reports.map((r) => [r.reason, r.metadata['reason']])).toEqual([
      ['concurrencyLimited', 'atLimit'],
      ['concurrencyLimited', 'queueTimeout'],
    ]);
    expect(limiter.stats()).toMatchObject({ rejected: 2, rejectedByReason: { atLimit: 1, queueTimeout: 1 } });
    holder.release('success');
  });

  it('stays healthy, and dispose() (or await using) leaves calls and permits alone', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 1, maxWaitMs: 1_000 });
    const holder = await limiter.acquire();
    const waiting = limiter.execute(() => 'after dispose');
    expect(limiter.health()).toEqual({ healthy: true });
    limiter.dispose();
    await limiter[Symbol.asyncDispose]();
    holder.release('success');
    await expect(waiting).resolves.toBe('after dispose');
    await expect(limiter.execute(() => 'still works')).resolves.toBe('still works');
    expect(limiter.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 3 });
  });

  it('needs no options: aimd with its defaults, and a default name', () => {
    const limiter = new AdaptiveConcurrencyLimiter({ registry: false });
    expect(limiter.algorithm).toBe('aimd');
    expect(limiter.limit).toBe(ADAPTIVE_CONCURRENCY_LIMITER_DEFAULTS.aimd.initialLimit);
    expect(limiter.name).toMatch(/^adaptiveConcurrency-\d+$/);
  });

  it('starts each algorithm at its default limit, moved into the limits that are set', () => {
    const limit = (options: ConstructorParameters<typeof AdaptiveConcurrencyLimiter>[0]) =>
      new AdaptiveConcurrencyLimiter({ registry: false, ...options }).limit;
    expect(limit({})).toBe(20);
    expect(limit({ algorithm: 'gradient2' })).toBe(20);
    expect(limit({ algorithm: 'vegas' })).toBe(20);
    expect(limit({ initialLimit: 5 })).toBe(5);
    expect(limit({ maxLimit: 10 })).toBe(10);
    expect(limit({ algorithm: 'vegas', minLimit: 30 })).toBe(30);
  });

  it('rejects invalid options with one ConfigError naming each field: wrong types, out of range, unknown keys', () => {
    const build = () =>
      new AdaptiveConcurrencyLimiter({
        algorithm: 'cubic' as never,
        initialLimit: '10' as never,
        minLimit: -1,
        maxLimit: 2.5,
        maxWaitMs: -5,
        captureRejectionStacks: 'yes' as never,
        backoffRatio: 1,
        successThreshold: 0,
        latencyThresholdMs: 0,
        name: '',
        clock: {} as never,
        maxLimt: 10,
      } as never);
    expect(build).toThrow(ConfigError);
    try {
      build();
    } catch (error) {
      const issues = (error as ConfigError).issues;
      expect(issues.map((issue) => issue.path).sort()).toEqual(
        [
          'algorithm',
          'backoffRatio',
          'captureRejectionStacks',
          'clock',
          'initialLimit',
          'latencyThresholdMs',
          'maxLimit',
          'maxLimt',
          'maxWaitMs',
          'minLimit',
          'name',
          'successThreshold',
        ].sort(),
      );
      const message = (error as ConfigError).message;
      expect(message).toMatch(/minLimit: must be an integer ≥ 1, got -1/);
      expect(message).toMatch(/maxWaitMs: must be ≥ 0, got -5/);
      expect(message).toMatch(/backoffRatio: must be < 1, got 1/);
      expect(message).toMatch(/maxLimt: unknown option/);
    }
  });

  it('refuses a maxWaitMs longer than the longest timer delay', () => {
    expect(() => new AdaptiveConcurrencyLimiter({ maxWaitMs: 2 ** 31 })).toThrow(/maxWaitMs: must be ≤ 2147483647/);
    expect(new AdaptiveConcurrencyLimiter({ maxWaitMs: 2 ** 31 - 1, registry: false })).toBeInstanceOf(AdaptiveConcurrencyLimiter);
  });

  it('rejects options of another algorithm', () => {
    expect(() => new AdaptiveConcurrencyLimiter({ algorithm: 'vegas', successThreshold: 3 })).toThrow(
      /successThreshold: applies to algorithm 'aimd' only, not 'vegas'/,
    );
    expect(() => new AdaptiveConcurrencyLimiter({ algorithm: 'vegas', rttTolerance: 2 })).toThrow(
      /rttTolerance: applies to algorithm 'gradient2' and 'aimd' only, not 'vegas'/,
    );
    expect(() => new AdaptiveConcurrencyLimiter({ algorithm: 'gradient2', latencyThresholdMs: 50 })).toThrow(
      /latencyThresholdMs: applies to algorithm 'aimd' only, not 'gradient2'/,
    );
    expect(() => new AdaptiveConcurrencyLimiter({ algorithm: 'aimd', smoothing: 0.5, minWindowMs: 10 })).toThrow(
      /smoothing: applies to algorithm 'gradient2' and 'vegas' only/,
    );
  });

  it('still accepts the deprecated longWindow for gradient2, which has no effect', () => {
    expect(new AdaptiveConcurrencyLimiter({ algorithm: 'gradient2', longWindow: 600, registry: false }).limit).toBe(20);
    expect(() => new AdaptiveConcurrencyLimiter({ algorithm: 'vegas', longWindow: 600 })).toThrow(/longWindow: applies to algorithm 'gradient2' only/);
  });

  it('rejects limits out of order', () => {
    expect(() => new AdaptiveConcurrencyLimiter({ minLimit: 10, maxLimit: 5 })).toThrow(/maxLimit: must be ≥ minLimit \(10\), got 5/);
    expect(() => new AdaptiveConcurrencyLimiter({ initialLimit: 50, maxLimit: 10 })).toThrow(/maxLimit: must be ≥ initialLimit \(50\), got 10/);
    expect(() => new AdaptiveConcurrencyLimiter({ minLimit: 20, initialLimit: 10 })).toThrow(/initialLimit: must be ≥ minLimit \(20\), got 10/);
  });
});

describe('AdaptiveConcurrencyLimiter robustness', () => {
  it("ignores an inner policy's refusal instead of dropping the limit", async () => {
    const { AdaptiveConcurrencyLimiter, CircuitBreaker, compose } = await import('../../src/index');
    const limiter = new AdaptiveConcurrencyLimiter({ algorithm: 'aimd', initialLimit: 100, registry: false });
    const breaker = new CircuitBreaker({ failureThreshold: 1, registry: false });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    const pipeline = compose(limiter, breaker);
    for (let i = 0; i < 50; i++) await pipeline.execute(() => 'never runs').catch(() => {});
    expect(limiter.limit).toBe(100);
    expect(limiter.inFlight).toBe(0);
  });

  it('releases the permit when a handle predicate throws on the error', async () => {
    const { AdaptiveConcurrencyLimiter } = await import('../../src/index');
    const limiter = new AdaptiveConcurrencyLimiter({
      algorithm: 'aimd',
      initialLimit: 1,
      minLimit: 1,
      registry: false,
      exceptions: { handle: (e) => (e as { code: string }).code === 'ECONNRESET' },
    });
    await expect(limiter.execute(() => Promise.reject(null))).rejects.toBeNull();
    expect(limiter.inFlight).toBe(0);
    await expect(limiter.execute(() => 'next')).resolves.toBe('next');
  });
});
