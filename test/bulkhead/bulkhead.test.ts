import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { Bulkhead, BULKHEAD_DEFAULTS, BulkheadRejectedError } from '../../src/bulkhead/index';
import {
  bus,
  compose,
  ConfigError,
  isBulwarkError,
  Registry,
  RejectedError,
  setLogger,
  Timeout,
  type BulwarkEvent,
  type ExceptionContext,
  type Logger,
} from '../../src/index';
import { bulkheadOnClock } from './support';
import { deferred, flushPromises } from '../support/async';

afterEach(() => {
  vi.useRealTimers();
  setLogger();
});

describe('Bulkhead admission', () => {
  it('runs up to maxInFlight calls at once and rejects the next at once with queueFull when maxQueue is 0', async () => {
    const { bulkhead } = bulkheadOnClock({ maxInFlight: 2 });
    const gates = [deferred(), deferred()];
    const running = gates.map((gate) => bulkhead.execute(() => gate.promise));
    expect(bulkhead.inFlight).toBe(2);
    const rejected = bulkhead.execute(() => 'never');
    await expect(rejected).rejects.toMatchObject({ reason: 'queueFull', code: 'BULKHEAD_REJECTED', policyName: bulkhead.name });
    await expect(rejected).rejects.toBeInstanceOf(BulkheadRejectedError);
    await expect(rejected).rejects.toBeInstanceOf(RejectedError);
    gates.forEach((gate, i) => gate.resolve(`done ${i}`));
    await expect(Promise.all(running)).resolves.toEqual(['done 0', 'done 1']);
    expect(bulkhead.inFlight).toBe(0);
  });

  it('uses maxInFlight 10 and maxQueue 0 by default', async () => {
    const bulkhead = new Bulkhead({ registry: false });
    expect(bulkhead.maxInFlight).toBe(BULKHEAD_DEFAULTS.maxInFlight);
    expect(bulkhead.maxQueue).toBe(0);
    expect(bulkhead.maxWaitMs).toBeUndefined();
    const gate = deferred();
    const running = Array.from({ length: 10 }, () => bulkhead.execute(() => gate.promise));
    await expect(bulkhead.execute(() => 'eleventh')).rejects.toMatchObject({ reason: 'queueFull' });
    gate.resolve('ok');
    await Promise.all(running);
  });

  it('queues up to maxQueue calls, runs them in arrival order, and rejects one more with queueFull', async () => {
    const { bulkhead } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 2 });
    const order: string[] = [];
    const gate = deferred();
    const first = bulkhead.execute(async () => {
      order.push('first');
      return gate.promise;
    });
    const second = bulkhead.execute(() => order.push('second'));
    const third = bulkhead.execute(() => order.push('third'));
    expect(bulkhead.queued).toBe(2);
    await expect(bulkhead.execute(() => order.push('fourth'))).rejects.toMatchObject({ reason: 'queueFull' });
    expect(order).toEqual(['first']);
    gate.resolve('ok');
    await Promise.all([first, second, third]);
    expect(order).toEqual(['first', 'second', 'third']);
    expect([bulkhead.inFlight, bulkhead.queued]).toEqual([0, 0]);
  });

  it('hands a freed slot to the oldest queued call before a call that arrives meanwhile', async () => {
    const { bulkhead } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 1 });
    const order: string[] = [];
    const first = bulkhead.execute(() => 'first');
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const queued = bulkhead.execute(() => order.push('queued'));
    gate.resolve('ok');
    await holder;
    // The slot now belongs to the queued call, whose continuation has not run yet.
    const late = bulkhead.execute(() => order.push('late'));
    await Promise.all([first, queued, late]);
    expect(order).toEqual(['queued', 'late']);
  });

  it('passes results and errors of fn through unchanged, sync or async, and frees the slot each time', async () => {
    const { bulkhead } = bulkheadOnClock({ maxInFlight: 1 });
    const error = new Error('boom');
    await expect(bulkhead.execute(() => 42)).resolves.toBe(42);
    await expect(
      bulkhead.execute(() => {
        throw error;
      }),
    ).rejects.toBe(error);
    await expect(bulkhead.execute(async () => 'async')).resolves.toBe('async');
    await expect(bulkhead.execute(() => Promise.reject(error))).rejects.toBe(error);
    const thenable = { then: (resolve: (value: string) => void) => resolve('thenable') } as PromiseLike<string>;
    await expect(bulkhead.execute(() => thenable)).resolves.toBe('thenable');
    await expect(bulkhead.execute(() => Promise.reject('not an Error'))).rejects.toBe('not an Error');
    expect(bulkhead.inFlight).toBe(0);
  });

  it('passes the execution context to fn', async () => {
    const bulkhead = new Bulkhead({ registry: false });
    const signal = new AbortController().signal;
    const seen = await bulkhead.execute((ctx) => ({ ...ctx, signal: ctx.signal }), {
      signal,
      key: 'user-1',
      priority: 'high',
      deadline: 123,
    });
    expect(seen).toMatchObject({ signal, key: 'user-1', priority: 'high', deadline: 123, attempt: 1 });
  });

  it('runs a call whose deadline has passed when a slot is free: only waiting is bounded', async () => {
    const { bulkhead, clock } = bulkheadOnClock({ maxInFlight: 1 });
    await expect(bulkhead.execute(() => 'ran', { deadline: clock.now() - 1 })).resolves.toBe('ran');
  });
});

describe('Bulkhead rejections', () => {
  it('raises them without a stack trace unless captureRejectionStacks is set', async () => {
    const cheap = bulkheadOnClock({ maxInFlight: 1 }).bulkhead;
    const hold = deferred();
    void cheap.execute(() => hold.promise);
    const fast = (await cheap.execute(() => 1).catch((e: unknown) => e)) as BulkheadRejectedError;
    expect(fast).toBeInstanceOf(BulkheadRejectedError);
    expect(fast).toMatchObject({ name: 'BulkheadRejectedError', reason: 'queueFull', code: 'BULKHEAD_REJECTED' });
    expect(fast.stack).toContain('no stack trace');
    const traced = bulkheadOnClock({ maxInFlight: 1, captureRejectionStacks: true }).bulkhead;
    void traced.execute(() => hold.promise);
    const full = (await traced.execute(() => 1).catch((e: unknown) => e)) as Error;
    expect(full.stack).toContain('bulkhead.test.ts');
    hold.resolve('done');
  });
});

describe('Bulkhead queue timeouts and deadlines', () => {
  it('rejects a call that waits past maxWaitMs with queueTimeout and removes it from the queue', async () => {
    const { bulkhead, clock, rejections } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 3, maxWaitMs: 100 });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const fn = vi.fn(() => 'never');
    const waiting = bulkhead.execute(fn);
    const settled = expect(waiting).rejects.toMatchObject({ reason: 'queueTimeout', code: 'BULKHEAD_REJECTED' });
    await clock.advance(99);
    expect(bulkhead.queued).toBe(1);
    await clock.advance(1);
    await settled;
    expect(bulkhead.queued).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(rejections).toMatchObject([{ reason: 'queueTimeout', inFlight: 1, queued: 0, waitedMs: 100 }]);
    gate.resolve('ok');
    await holder;
    expect(fn).not.toHaveBeenCalled();
    expect(bulkhead.stats()).toMatchObject({ inFlight: 0, queued: 0, rejected: 1, rejectedByReason: { queueFull: 0, queueTimeout: 1 } });
  });

  it('clears the wait timer of a queued call that gets a slot in time', async () => {
    const { bulkhead, clock } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 1, maxWaitMs: 100 });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const waiting = bulkhead.execute(() => 'ran');
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(50);
    gate.resolve('ok');
    await expect(waiting).resolves.toBe('ran');
    await holder;
    expect(clock.pendingTimers).toBe(0);
  });

  it('ends the wait at the deadline budget when it comes before maxWaitMs, with queueTimeout', async () => {
    const { bulkhead, clock, rejections } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 1, maxWaitMs: 1_000 });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const waiting = bulkhead.execute(() => 'never', { timeoutMs: 30 });
    const settled = expect(waiting).rejects.toMatchObject({ reason: 'queueTimeout' });
    await clock.advance(30);
    await settled;
    expect(rejections).toMatchObject([{ reason: 'queueTimeout', waitedMs: 30 }]);
    gate.resolve('ok');
    await holder;
  });

  it('ends the wait at the deadline when there is no maxWaitMs', async () => {
    const { bulkhead, clock } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 1 });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const waiting = bulkhead.execute(() => 'never', { deadline: clock.now() + 40 });
    const settled = expect(waiting).rejects.toMatchObject({ reason: 'queueTimeout' });
    await clock.advance(40);
    await settled;
    expect(bulkhead.queued).toBe(0);
    gate.resolve('ok');
    await holder;
  });

  it('rejects with queueTimeout at once a call that would have to wait when its deadline has passed', async () => {
    const { bulkhead, clock, rejections } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 1 });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    await expect(bulkhead.execute(() => 'never', { deadline: clock.now() })).rejects.toMatchObject({ reason: 'queueTimeout' });
    expect(bulkhead.queued).toBe(0);
    expect(rejections).toMatchObject([{ reason: 'queueTimeout', waitedMs: 0 }]);
    gate.resolve('ok');
    await holder;
  });

  it('waits without a timer when neither maxWaitMs nor a deadline bounds the wait', async () => {
    const { bulkhead, clock } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 1 });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const waiting = bulkhead.execute(() => 'ran');
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(3_600_000);
    expect(bulkhead.queued).toBe(1);
    gate.resolve('ok');
    await expect(waiting).resolves.toBe('ran');
    await holder;
  });

  it('sets no wait timer for a deadline too far away for a Node timer, which would fire after 1 ms', async () => {
    const { bulkhead, clock } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 1 });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const waiting = bulkhead.execute(() => 'ran', { timeoutMs: 30 * 24 * 3_600_000 });
    expect(clock.pendingTimers).toBe(0);
    gate.resolve('ok');
    await expect(waiting).resolves.toBe('ran');
    await holder;
  });

  it('works with vi fake timers through the default clock', async () => {
    vi.useFakeTimers();
    const bulkhead = new Bulkhead({ registry: false, maxInFlight: 1, maxQueue: 1, maxWaitMs: 500 });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const waiting = bulkhead.execute(() => 'never');
    const settled = expect(waiting).rejects.toMatchObject({ reason: 'queueTimeout' });
    await vi.advanceTimersByTimeAsync(500);
    await settled;
    expect(vi.getTimerCount()).toBe(0);
    gate.resolve('ok');
    await holder;
  });
});

describe('Bulkhead cancellation', () => {
  it("rejects at once with the caller's reason when the signal is already aborted, taking no slot", async () => {
    const { bulkhead, rejections } = bulkheadOnClock({ maxInFlight: 1 });
    const reason = new Error('caller left');
    const fn = vi.fn();
    await expect(bulkhead.execute(fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    expect(bulkhead.inFlight).toBe(0);
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    await expect(bulkhead.execute(fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(rejections).toHaveLength(0);
    gate.resolve('ok');
    await holder;
  });

  it("removes a queued call at once when its caller aborts; it never runs and rejects with the caller's reason", async () => {
    const { bulkhead, clock, rejections } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 2, maxWaitMs: 1_000 });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const controller = new AbortController();
    const fn = vi.fn(() => 'never');
    const aborted = bulkhead.execute(fn, { signal: controller.signal });
    const next = bulkhead.execute(() => 'next');
    expect(bulkhead.queued).toBe(2);
    const reason = new Error('caller left');
    controller.abort(reason);
    expect(bulkhead.queued).toBe(1);
    await expect(aborted).rejects.toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(1);
    gate.resolve('ok');
    await expect(next).resolves.toBe('next');
    await holder;
    expect(fn).not.toHaveBeenCalled();
    expect(rejections).toHaveLength(0);
    expect(bulkhead.stats()).toMatchObject({ inFlight: 0, queued: 0, abandoned: 1 });
  });

  it('frees the slot without running fn when the caller aborts between being granted the slot and running', async () => {
    const { bulkhead } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 1 });
    const controller = new AbortController();
    const fn = vi.fn(() => 'never');
    let granted: Promise<unknown> | undefined;
    const first = bulkhead.execute(() => {
      granted = bulkhead.execute(fn, { signal: controller.signal });
      throw new Error('first failed');
    });
    // The first call's synchronous throw handed its slot to the queued call, which has not run yet.
    expect([bulkhead.inFlight, bulkhead.queued]).toEqual([1, 0]);
    const reason = new Error('too late');
    controller.abort(reason);
    await expect(granted).rejects.toBe(reason);
    await expect(first).rejects.toThrow('first failed');
    expect(fn).not.toHaveBeenCalled();
    expect(bulkhead.stats()).toMatchObject({ inFlight: 0, queued: 0, abandoned: 1 });
  });

  it('passes a slot freed by an aborted granted call on to the next queued call', async () => {
    const { bulkhead } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 2 });
    const controller = new AbortController();
    let granted: Promise<unknown> | undefined;
    let next: Promise<unknown> | undefined;
    const first = bulkhead.execute(() => {
      granted = bulkhead.execute(() => 'never', { signal: controller.signal });
      next = bulkhead.execute(() => 'next ran');
      return 'first';
    });
    controller.abort('gone');
    await expect(first).resolves.toBe('first');
    await expect(granted).rejects.toBe('gone');
    await expect(next).resolves.toBe('next ran');
    expect([bulkhead.inFlight, bulkhead.queued]).toEqual([0, 0]);
  });

  it('hands ctx.signal to a running fn and keeps its slot until fn settles after an abort', async () => {
    const { bulkhead } = bulkheadOnClock({ maxInFlight: 1 });
    const controller = new AbortController();
    const gate = deferred();
    let seen: AbortSignal | undefined;
    const running = bulkhead.execute(
      ({ signal }) => {
        seen = signal;
        return gate.promise;
      },
      { signal: controller.signal },
    );
    controller.abort('stop');
    expect(seen?.aborted).toBe(true);
    expect(bulkhead.inFlight).toBe(1);
    gate.reject(seen?.reason);
    await expect(running).rejects.toBe('stop');
    expect(bulkhead.inFlight).toBe(0);
  });

  it("ends the wait at an enclosing Timeout's limit with queueTimeout, since that limit is the call's deadline", async () => {
    const { bulkhead, clock, rejections } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 1 });
    const guarded = compose(new Timeout({ registry: false, clock, timeoutMs: 50 }), bulkhead);
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const fn = vi.fn(() => 'never');
    const waiting = guarded.execute(fn);
    const settled = expect(waiting).rejects.toMatchObject({ reason: 'queueTimeout' });
    await clock.advance(50);
    await settled;
    expect(rejections).toMatchObject([{ reason: 'queueTimeout', waitedMs: 50 }]);
    gate.resolve('ok');
    await holder;
    expect(fn).not.toHaveBeenCalled();
    expect([bulkhead.inFlight, bulkhead.queued, clock.pendingTimers]).toEqual([0, 0, 0]);
  });

  it("removes a queued call when its caller aborts through an enclosing Timeout, with the caller's reason", async () => {
    const { bulkhead, clock } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 1 });
    const guarded = compose(new Timeout({ registry: false, clock, timeoutMs: 1_000 }), bulkhead);
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const controller = new AbortController();
    const fn = vi.fn(() => 'never');
    const waiting = guarded.execute(fn, { signal: controller.signal });
    controller.abort('caller gone');
    expect(bulkhead.queued).toBe(0);
    await expect(waiting).rejects.toBe('caller gone');
    gate.resolve('ok');
    await holder;
    expect(fn).not.toHaveBeenCalled();
    expect(bulkhead.stats()).toMatchObject({ inFlight: 0, queued: 0, abandoned: 1 });
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('Bulkhead context', () => {
  it("runs a queued call in its caller's AsyncLocalStorage context", async () => {
    const storage = new AsyncLocalStorage<string>();
    const { bulkhead } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 5 });
    const gate = deferred();
    const holder = storage.run('holder', () => bulkhead.execute(() => gate.promise));
    const seen = ['a', 'b', 'c'].map((id) => storage.run(id, () => bulkhead.execute(async () => storage.getStore())));
    expect(bulkhead.queued).toBe(3);
    storage.run('releaser', () => gate.resolve('ok'));
    await expect(Promise.all(seen)).resolves.toEqual(['a', 'b', 'c']);
    await holder;
  });
});

describe('Bulkhead events, exceptions and stats', () => {
  it('emits rejected with its reason on the instance and on the bus', async () => {
    const { bulkhead, clock, rejections } = bulkheadOnClock({ name: 'db-pool', maxInFlight: 1, maxQueue: 1, maxWaitMs: 10 });
    const onBus = vi.fn<(event: BulwarkEvent) => void>();
    bus.on('bulkhead:rejected' as never, onBus as never);
    try {
      const gate = deferred();
      const holder = bulkhead.execute(() => gate.promise);
      const waiting = bulkhead.execute(() => 'never');
      await expect(bulkhead.execute(() => 'never')).rejects.toMatchObject({ reason: 'queueFull' });
      const settled = expect(waiting).rejects.toMatchObject({ reason: 'queueTimeout' });
      await clock.advance(10);
      await settled;
      gate.resolve('ok');
      await holder;
    } finally {
      bus.off('bulkhead:rejected' as never, onBus as never);
    }
    const start = 1_700_000_000_000;
    expect(rejections).toEqual([
      { type: 'rejected', patternType: 'bulkhead', patternName: 'db-pool', timestamp: start, reason: 'queueFull', inFlight: 1, queued: 1, waitedMs: 0 },
      { type: 'rejected', patternType: 'bulkhead', patternName: 'db-pool', timestamp: start + 10, reason: 'queueTimeout', inFlight: 1, queued: 0, waitedMs: 10 },
    ]);
    expect(onBus.mock.calls.map(([event]) => event)).toEqual(rejections);
  });

  it('gives each rejected event the reason of the error its caller receives, and counts it by reason', async () => {
    const { bulkhead, clock, rejections } = bulkheadOnClock({ maxInFlight: 1, maxQueue: 1, maxWaitMs: 10 });
    bulkhead.events.on('rejected', (event) => expectTypeOf(event.reason).toEqualTypeOf<'queueFull' | 'queueTimeout'>());
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const waiting = bulkhead.execute(() => 'never').catch((e: unknown) => e);
    const full = await bulkhead.execute(() => 'never').catch((e: unknown) => e);
    await clock.advance(10);
    const timedOut = await waiting;
    const errors = [full, timedOut] as BulkheadRejectedError[];
    expect(errors.every((error) => error instanceof BulkheadRejectedError)).toBe(true);
    expect(errors.map((error) => error.reason)).toEqual(['queueFull', 'queueTimeout']);
    expect(rejections.map((event) => event.reason)).toEqual(['queueFull', 'queueTimeout']);
    expect(bulkhead.stats()).toMatchObject({ rejected: 2, rejectedByReason: { queueFull: 1, queueTimeout: 1 }, abandoned: 0 });
    gate.resolve('ok');
    await holder;
  });

  it('counts rejections when nobody listens, reports or transforms', async () => {
    const bulkhead = new Bulkhead({ registry: false, maxInFlight: 1 });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    await expect(bulkhead.execute(() => 'never')).rejects.toMatchObject({ reason: 'queueFull' });
    await expect(bulkhead.execute(() => 'never')).rejects.toMatchObject({ reason: 'queueFull' });
    expect(bulkhead.stats()).toMatchObject({ rejected: 2, rejectedByReason: { queueFull: 2, queueTimeout: 0 } });
    gate.resolve('ok');
    await holder;
  });

  it('keeps the outcome when an event listener throws, and logs it', async () => {
    const logger: Logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn() };
    setLogger(logger);
    const { bulkhead } = bulkheadOnClock({ maxInFlight: 1 });
    bulkhead.events.on('rejected', () => {
      throw new Error('listener bug');
    });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    await expect(bulkhead.execute(() => 'never')).rejects.toBeInstanceOf(BulkheadRejectedError);
    expect(logger.error).toHaveBeenCalledTimes(1);
    gate.resolve('ok');
    await expect(holder).resolves.toBe('ok');
    expect(bulkhead.inFlight).toBe(0);
  });

  it('tells onException queueFull and queueTimeout, and applies transform to those rejections only', async () => {
    class Busy extends Error {}
    const seen: Array<Pick<ExceptionContext, 'patternType' | 'reason' | 'metadata'> & { error: unknown }> = [];
    const { bulkhead, clock } = bulkheadOnClock({
      name: 'transforming',
      maxInFlight: 1,
      maxQueue: 1,
      maxWaitMs: 20,
      exceptions: {
        onException: ({ patternType, reason, metadata, error }) => {
          seen.push({ patternType, reason, metadata, error });
        },
        transform: (error, ctx) => new Busy(`${ctx.reason}: ${(error as Error).message}`),
      },
    });
    const own = new Error('fn failed');
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise.then(() => Promise.reject(own)));
    const waiting = bulkhead.execute(() => 'never');
    await expect(bulkhead.execute(() => 'never')).rejects.toThrow(/^queueFull: Bulkhead "transforming" rejected/);
    const settled = expect(waiting).rejects.toBeInstanceOf(Busy);
    await clock.advance(20);
    await settled;
    gate.resolve('ok');
    await expect(holder).rejects.toBe(own);
    expect(seen).toMatchObject([
      { patternType: 'bulkhead', reason: 'queueFull', metadata: { inFlight: 1, queued: 1, waitedMs: 0 } },
      { patternType: 'bulkhead', reason: 'queueTimeout', metadata: { inFlight: 1, queued: 0, waitedMs: 20 } },
    ]);
    expect(seen.map((entry) => (entry.error as BulkheadRejectedError).reason)).toEqual(['queueFull', 'queueTimeout']);
  });

  it('keeps the rejection when onException throws or rejects', async () => {
    const { bulkhead } = bulkheadOnClock({
      maxInFlight: 1,
      exceptions: {
        onException: () => {
          throw new Error('callback bug');
        },
      },
    });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    await expect(bulkhead.execute(() => 'never')).rejects.toBeInstanceOf(BulkheadRejectedError);
    const rejecting = new Bulkhead({ registry: false, maxInFlight: 1, exceptions: { onException: () => Promise.reject(new Error('async bug')) } });
    const other = deferred();
    const otherHolder = rejecting.execute(() => other.promise);
    await expect(rejecting.execute(() => 'never')).rejects.toBeInstanceOf(BulkheadRejectedError);
    gate.resolve('ok');
    other.resolve('ok');
    await Promise.all([holder, otherHolder]);
    await flushPromises();
  });

  it('reports occupancy and counters in stats() as plain data', async () => {
    const { bulkhead, clock } = bulkheadOnClock({ maxInFlight: 2, maxQueue: 2, maxWaitMs: 5 });
    const gate = deferred();
    const holders = [bulkhead.execute(() => gate.promise), bulkhead.execute(() => gate.promise)];
    const controller = new AbortController();
    const refused = Promise.allSettled([
      bulkhead.execute(() => 'never', { signal: controller.signal }),
      bulkhead.execute(() => 'never'),
      bulkhead.execute(() => 'never'),
    ]);
    expect(bulkhead.stats()).toEqual({
      inFlight: 2,
      queued: 2,
      maxInFlight: 2,
      maxQueue: 2,
      rejected: 1,
      rejectedByReason: { queueFull: 1, queueTimeout: 0 },
      abandoned: 0,
    });
    controller.abort('bye');
    await clock.advance(5);
    await refused;
    gate.resolve('ok');
    await Promise.all(holders);
    const stats = bulkhead.stats();
    expect(stats).toEqual({
      inFlight: 0,
      queued: 0,
      maxInFlight: 2,
      maxQueue: 2,
      rejected: 2,
      rejectedByReason: { queueFull: 1, queueTimeout: 1 },
      abandoned: 1,
    });
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
  });

  it('joins the default registry or the given one under its name, and none with registry: false', () => {
    const registry = new Registry();
    const named = new Bulkhead({ name: 'payments-bulkhead', registry });
    expect(named.patternType).toBe('bulkhead');
    expect(registry.get('payments-bulkhead')).toBe(named);
    expect(registry.health().instances['payments-bulkhead']).toMatchObject({
      patternType: 'bulkhead',
      healthy: true,
      stats: { inFlight: 0, queued: 0, maxInFlight: 10, maxQueue: 0 },
    });
    const unnamed = new Bulkhead({ registry });
    expect(unnamed.name).toMatch(/^bulkhead-\d+$/);
    expect(registry.get(unnamed.name)).toBe(unnamed);
    const unregistered = new Bulkhead({ name: 'hidden', registry: false });
    expect(unregistered.name).toBe('hidden');
    expect(registry.get('hidden')).toBeUndefined();
  });

  it('rejects with a BulwarkError recognised by isBulwarkError', async () => {
    const { bulkhead } = bulkheadOnClock({ maxInFlight: 1 });
    const gate = deferred();
    const holder = bulkhead.execute(() => gate.promise);
    const error = await bulkhead.execute(() => 'never').catch((e: unknown) => e);
    expect(isBulwarkError(error, 'BULKHEAD_REJECTED')).toBe(true);
    expect((error as BulkheadRejectedError).name).toBe('BulkheadRejectedError');
    gate.resolve('ok');
    await holder;
  });
});

describe('Bulkhead disposal', () => {
  it('is disposed by await using when its block ends, leaving calls in flight and queued to finish', async () => {
    const gate = deferred();
    let holder: Promise<unknown> | undefined;
    let waiting: Promise<unknown> | undefined;
    let disposed: Bulkhead | undefined;
    let dispose: ReturnType<typeof vi.fn> | undefined;
    {
      await using bulkhead = new Bulkhead({ registry: false, maxInFlight: 1, maxQueue: 1 });
      disposed = bulkhead;
      dispose = vi.spyOn(bulkhead, 'dispose') as unknown as ReturnType<typeof vi.fn>;
      holder = bulkhead.execute(() => gate.promise);
      waiting = bulkhead.execute(() => 'queued ran');
    }
    expect(dispose).toHaveBeenCalledTimes(1);
    expect([disposed.inFlight, disposed.queued]).toEqual([1, 1]);
    gate.resolve('ok');
    await expect(holder).resolves.toBe('ok');
    await expect(waiting).resolves.toBe('queued ran');
    await expect(disposed.execute(() => 'after dispose')).resolves.toBe('after dispose');
    expect([disposed.inFlight, disposed.queued]).toEqual([0, 0]);
  });
});

describe('Bulkhead options', () => {
  it('accepts no options at all', () => {
    expect(new Bulkhead().maxInFlight).toBe(10);
    expect(new Bulkhead(undefined).maxQueue).toBe(0);
  });

  it('rejects invalid options with one ConfigError naming each field', () => {
    const build = () =>
      new Bulkhead({
        maxInFlight: 0,
        maxQueue: -1,
        maxWaitMs: 0,
        maxConcurrent: 5,
        name: '',
      } as never);
    expect(build).toThrow(ConfigError);
    const error = (() => {
      try {
        build();
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(
      ['maxConcurrent', 'maxInFlight', 'maxQueue', 'name', 'maxWaitMs'].sort(),
    );
    expect(error.message).toMatch(/maxInFlight: must be an integer ≥ 1, got 0/);
    expect(error.message).toMatch(/maxQueue: must be an integer ≥ 0, got -1/);
    expect(error.message).toMatch(/maxWaitMs: must be > 0, got 0/);
    expect(error.message).toMatch(/maxConcurrent: unknown option/);
  });

  it.each([
    ['maxInFlight', 'ten', /maxInFlight: .*got 'ten'/],
    ['maxInFlight', 2.5, /maxInFlight: .*got 2.5/],
    ['maxInFlight', Number.POSITIVE_INFINITY, /maxInFlight: .*got Infinity/],
    ['maxQueue', 1.5, /maxQueue: must be an integer ≥ 0, got 1.5/],
    ['maxQueue', null, /maxQueue: .*got null/],
    ['maxWaitMs', -5, /maxWaitMs: must be > 0, got -5/],
    ['maxWaitMs', Number.NaN, /maxWaitMs: .*got NaN/],
    ['maxWaitMs', 3_000_000_000, /maxWaitMs: must be ≤ 2147483647/],
    ['maxWaitMs', '100', /maxWaitMs: .*got '100'/],
    ['clock', { now: () => 0 }, /clock: expected a Clock/],
    ['registry', 'default', /registry: .*got 'default'/],
    ['exceptions', { onExeption: () => {} }, /exceptions.onExeption: unknown option/],
  ])('rejects %s = %s', (field, value, message) => {
    expect(() => new Bulkhead({ [field]: value } as never)).toThrow(message);
  });

  it('rejects options that are not an object', () => {
    expect(() => new Bulkhead(5 as never)).toThrow(ConfigError);
  });
});
