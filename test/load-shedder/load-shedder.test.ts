import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  bus,
  compose,
  ConfigError,
  isBulwarkError,
  Registry,
  RejectedError,
  Retry,
  setLogger,
  type Clock,
  type Priority,
} from '../../src/index';
import { LoadLevel, LoadShedError, LoadShedder, type LoadShedderRejectedEvent } from '../../src/load-shedder/index';
import { ManualClock } from '../support/manual-clock';
import { HeldCalls, outcome, shedderOnClock, TIERED_THRESHOLDS } from './support';

afterEach(() => setLogger());

const PRIORITIES: Priority[] = ['low', 'normal', 'high', 'critical'];

/** Which priorities a call arriving now would be admitted for (probed with calls that return at once). */
async function admitted(shedder: LoadShedder): Promise<Priority[]> {
  const result: Priority[] = [];
  for (const priority of PRIORITIES) {
    if ((await outcome(shedder.execute(() => 'ran', { priority }))) === 'ran') result.push(priority);
  }
  return result;
}

describe('LoadShedder admission', () => {
  it('runs calls while fewer than maxInFlight run and sheds the next at once with LoadShedError, without calling fn', async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 2, name: 'api-shedder' });
    const calls = new HeldCalls();
    const running = [1, 2].map(() => shedder.execute(calls.hold('ok'), { priority: 'critical' }));
    expect(shedder.inFlight).toBe(2);
    const fn = vi.fn(() => 'never');
    const error = await shedder.execute(fn, { priority: 'critical' }).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(LoadShedError);
    expect(error).toBeInstanceOf(RejectedError);
    expect(isBulwarkError(error, 'LOAD_SHED')).toBe(true);
    expect(error).toMatchObject({
      name: 'LoadShedError',
      reason: 'capacity',
      loadLevel: 'critical',
      retryAfterMs: 1_000,
      policyName: 'api-shedder',
    });
    expect(String(error)).toContain('Load shedder "api-shedder" shed the call (load critical, capacity)');
    await calls.release(2);
    await expect(Promise.all(running)).resolves.toEqual(['ok', 'ok']);
    expect(shedder.inFlight).toBe(0);
    expect(shedder.loadLevel).toBe('normal');
  });

  it('runs maxInFlight calls of the default priority at once, and sheds low ones from half of it (default thresholds)', async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 20 });
    const calls = new HeldCalls();
    const results = Array.from({ length: 20 }, () => outcome(shedder.execute(calls.hold('ran'))));
    expect(shedder.inFlight).toBe(20);
    expect(await outcome(shedder.execute(calls.hold('ran')))).toBe('shed');
    expect(await outcome(shedder.execute(calls.hold('ran'), { priority: 'critical' }))).toBe('shed');
    await calls.release(10);
    expect(shedder.inFlight).toBe(10);
    expect(await outcome(shedder.execute(calls.hold('ran'), { priority: 'low' }))).toBe('shed');
    results.push(outcome(shedder.execute(calls.hold('ran'), { priority: 'normal' })));
    expect(shedder.loadLevel).toBe(LoadLevel.Elevated);
    await calls.release(11);
    expect(await Promise.all(results)).toEqual(Array(21).fill('ran'));
  });

  it('sheds low first and critical last as in-flight calls rise (thresholds 0.5, 0.75, 0.9, 1)', async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 20, priorityThresholds: TIERED_THRESHOLDS });
    const calls = new HeldCalls();
    const seen: Record<number, Priority[]> = {};
    for (let inFlight = 0; inFlight <= 20; inFlight++) {
      seen[inFlight] = await admitted(shedder);
      if (inFlight < 20) void shedder.execute(calls.hold(), { priority: 'critical' });
    }
    for (let inFlight = 0; inFlight <= 20; inFlight++) {
      const expected = PRIORITIES.filter((_, rank) => inFlight < [10, 15, 18, 20][rank]!);
      expect(seen[inFlight], `at ${inFlight} in flight`).toEqual(expected);
    }
    await calls.release(20);
  });

  it('counts queued calls in the occupancy: (inFlight + queued) / (maxInFlight + maxQueue)', async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 4, maxQueue: 4, priorityThresholds: TIERED_THRESHOLDS });
    const calls = new HeldCalls();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(outcome(shedder.execute(calls.hold('ran'), { priority: 'low' })));
    expect(await outcome(shedder.execute(calls.hold('ran'), { priority: 'low' }))).toBe('shed');
    results.push(outcome(shedder.execute(calls.hold('ran'), { priority: 'normal' })));
    results.push(outcome(shedder.execute(calls.hold('ran'), { priority: 'normal' })));
    expect(shedder.stats()).toMatchObject({ inFlight: 4, queued: 2, occupancy: 0.75 });
    expect(await outcome(shedder.execute(calls.hold('ran'), { priority: 'normal' }))).toBe('shed');
    results.push(outcome(shedder.execute(calls.hold('ran'), { priority: 'high' })));
    results.push(outcome(shedder.execute(calls.hold('ran'), { priority: 'critical' })));
    expect(shedder.queued).toBe(4);
    expect(await outcome(shedder.execute(calls.hold('ran'), { priority: 'critical' }))).toBe('shed');
    for (let i = 0; i < 8; i++) await calls.release();
    expect(await Promise.all(results)).toEqual(Array(8).fill('ran'));
  });

  it('follows configured priorityThresholds, compared as the documented division', async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 10, priorityThresholds: { low: 0.3, normal: 0.3, high: 0.7 } });
    const calls = new HeldCalls();
    for (let i = 0; i < 3; i++) void shedder.execute(calls.hold(), { priority: 'critical' });
    // 3 / 10 >= 0.3 although 0.3 × 10 is 3.0000000000000004 in floating point
    expect(await admitted(shedder)).toEqual(['high', 'critical']);
    for (let i = 0; i < 4; i++) void shedder.execute(calls.hold(), { priority: 'critical' });
    expect(await admitted(shedder)).toEqual(['critical']);
    await calls.release(7);
  });

  it('rejects a priority that is not one of the four (from untyped code) without counting it', async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 4 });
    const events: LoadShedderRejectedEvent[] = [];
    shedder.events.on('rejected', (e) => events.push(e));
    const result = await outcome(shedder.execute(() => 'ran', { priority: 'urgent' as Priority }));
    expect(result).toBeInstanceOf(ConfigError);
    expect((result as ConfigError).issues).toEqual([{ path: 'priority', message: expect.stringContaining("'urgent'") }]);
    expect(events).toEqual([]);
    expect(shedder.stats()).toMatchObject({ inFlight: 0, admitted: 0 });
  });

  it('names in loadLevel what an arriving call would be shed for, and emits loadLevelChange on every change', async () => {
    const { shedder, levels } = shedderOnClock({ maxInFlight: 4, priorityThresholds: TIERED_THRESHOLDS });
    const calls = new HeldCalls();
    const seen: string[] = [shedder.loadLevel];
    for (let i = 0; i < 4; i++) {
      void shedder.execute(calls.hold(), { priority: 'critical' });
      seen.push(shedder.loadLevel);
    }
    // limits over 4 places: low shed from 2 taken, normal from 3, high and critical from 4
    expect(seen).toEqual(['normal', 'normal', 'elevated', 'high', 'critical']);
    await calls.release(4);
    expect(shedder.loadLevel).toBe(LoadLevel.Normal);
    expect(levels).toEqual([
      ['normal', 'elevated'],
      ['elevated', 'high'],
      ['high', 'critical'],
      ['critical', 'high'],
      ['high', 'elevated'],
      ['elevated', 'normal'],
    ]);
  });

  it("frees the slot of a function that returns or throws synchronously, and passes fn's error through unchanged", async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 1 });
    const own = new Error('own');
    await expect(shedder.execute(() => 42)).resolves.toBe(42);
    await expect(
      shedder.execute(() => {
        throw own;
      }),
    ).rejects.toBe(own);
    await expect(shedder.execute(() => Promise.reject('not an Error'))).rejects.toBe('not an Error');
    expect(shedder.inFlight).toBe(0);
    expect(shedder.stats()).toMatchObject({ admitted: 3, rejected: 0 });
  });

  it("rejects at once with the caller's reason when the signal is already aborted, counting nothing", async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 1 });
    const fn = vi.fn();
    await expect(shedder.execute(fn, { signal: AbortSignal.abort('gone') })).rejects.toBe('gone');
    expect(fn).not.toHaveBeenCalled();
    expect(shedder.stats()).toMatchObject({ admitted: 0, rejected: 0, inFlight: 0 });
  });

  it('reads no clock for a call that finds a free slot', async () => {
    const clock = new ManualClock();
    const now = vi.spyOn(clock, 'now');
    const shedder = new LoadShedder({ registry: false, clock, maxInFlight: 2, maxQueue: 2 });
    await shedder.execute(() => Promise.resolve('ok'), { priority: 'low' });
    expect(now).not.toHaveBeenCalled();
  });

  it('passes the priority through compose to the shedder', async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 2 });
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const pipeline = compose(new Retry({ registry: false, maxAttempts: 1 }), shedder);
    await expect(pipeline.execute(() => 'ran', { priority: 'low' })).rejects.toBeInstanceOf(LoadShedError);
    await expect(pipeline.execute(() => 'ran', { priority: 'high' })).resolves.toBe('ran');
    await calls.release();
  });
});

describe('LoadShedder queue', () => {
  it('queues a call while every slot is taken and runs it when one frees', async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 1, maxQueue: 1 });
    const calls = new HeldCalls();
    const first = shedder.execute(calls.hold('first'), { priority: 'critical' });
    const second = shedder.execute(calls.hold('second'), { priority: 'critical' });
    expect([shedder.inFlight, shedder.queued, calls.started]).toEqual([1, 1, 1]);
    await calls.release();
    expect([shedder.inFlight, shedder.queued, calls.started]).toEqual([1, 0, 2]);
    await calls.release();
    await expect(Promise.all([first, second])).resolves.toEqual(['first', 'second']);
    expect(shedder.stats()).toMatchObject({ admitted: 2, queuedTotal: 1, inFlight: 0, queued: 0 });
  });

  it('serves queued calls critical first, then high, normal and low, each in arrival order', async () => {
    const { shedder } = shedderOnClock({
      maxInFlight: 1,
      maxQueue: 8,
      priorityThresholds: { low: 1, normal: 1, high: 1, critical: 1 },
    });
    const calls = new HeldCalls();
    const order: string[] = [];
    const run = (label: string, priority: Priority) =>
      shedder.execute(() => {
        order.push(label);
        return calls.hold()();
      }, { priority });
    const all = [run('busy', 'low')];
    for (const [label, priority] of [
      ['low-1', 'low'], ['normal-1', 'normal'], ['critical-1', 'critical'], ['high-1', 'high'],
      ['low-2', 'low'], ['critical-2', 'critical'], ['normal-2', 'normal'], ['high-2', 'high'],
    ] as const) {
      all.push(run(label, priority));
    }
    for (let i = 0; i < 9; i++) await calls.release();
    await Promise.all(all);
    expect(order).toEqual(['busy', 'critical-1', 'critical-2', 'high-1', 'high-2', 'normal-1', 'normal-2', 'low-1', 'low-2']);
  });

  it("removes a queued call at once when its caller aborts: it never runs and rejects with the caller's reason", async () => {
    const { shedder, clock } = shedderOnClock({ maxInFlight: 1, maxQueue: 2, maxWaitMs: 5_000 });
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const controller = new AbortController();
    const fn = vi.fn();
    const queued = shedder.execute(fn, { signal: controller.signal, priority: 'critical' });
    expect(shedder.queued).toBe(1);
    controller.abort(new Error('client went away'));
    expect(shedder.queued).toBe(0);
    await expect(queued).rejects.toThrow('client went away');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
    await calls.release();
    expect(fn).not.toHaveBeenCalled();
    expect(shedder.stats()).toMatchObject({ abandoned: 1, rejected: 0, queued: 0, inFlight: 0 });
  });

  it('sheds a queued call when its deadline passes (reason deadline) and leaves no timer behind', async () => {
    const { shedder, clock } = shedderOnClock({ maxInFlight: 1, maxQueue: 1 });
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const events: LoadShedderRejectedEvent[] = [];
    shedder.events.on('rejected', (e) => events.push(e));
    const fn = vi.fn();
    const queued = outcome(shedder.execute(fn, { priority: 'critical', timeoutMs: 300 }));
    await clock.advance(299);
    expect(shedder.queued).toBe(1);
    await clock.advance(1);
    expect(await queued).toBe('shed');
    expect(events).toMatchObject([{ priority: 'critical', reason: 'deadline', inFlight: 1, queued: 0 }]);
    expect(shedder.queued).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    await calls.release();
    expect(fn).not.toHaveBeenCalled();
    expect(shedder.stats().rejectedByReason).toMatchObject({ deadline: 1 });
  });

  it('sheds at once a call that would have to wait and whose deadline has already passed', async () => {
    const { shedder, clock } = shedderOnClock({ maxInFlight: 1, maxQueue: 1 });
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const error = await shedder.execute(() => 'never', { deadline: clock.now() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoadShedError);
    expect(shedder.stats()).toMatchObject({ queued: 0, queuedTotal: 0, rejectedByReason: { deadline: 1 } });
    await calls.release();
  });

  it('arms no timer for a wait bounded only beyond what timers can hold (a deadline of Infinity)', async () => {
    const { shedder, clock } = shedderOnClock({ maxInFlight: 1, maxQueue: 1 });
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const queued = shedder.execute(() => 'ran', { priority: 'critical', timeoutMs: Number.POSITIVE_INFINITY });
    expect(shedder.queued).toBe(1);
    expect(clock.pendingTimers).toBe(0);
    await calls.release();
    await expect(queued).resolves.toBe('ran');
  });

  it('sheds a queued call after maxWaitMs (reason queueTimeout), unless its deadline comes first', async () => {
    const { shedder, clock } = shedderOnClock({ maxInFlight: 1, maxQueue: 2, maxWaitMs: 100 });
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const reasons: string[] = [];
    shedder.events.on('rejected', (e) => reasons.push(`${e.reason}@${clock.now() - 1_700_000_000_000}`));
    const byTimeout = outcome(shedder.execute(() => 'never', { priority: 'critical' }));
    const byDeadline = outcome(shedder.execute(() => 'never', { priority: 'critical', timeoutMs: 40 }));
    await clock.advance(100);
    expect(await Promise.all([byTimeout, byDeadline])).toEqual(['shed', 'shed']);
    expect(reasons).toEqual(['deadline@40', 'queueTimeout@100']);
    await calls.release();
  });

  it('hands a freed slot to the next waiter, so that a newcomer arriving before it resumes waits behind it', async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 1, maxQueue: 1 });
    const order: string[] = [];
    let finish!: (value: string) => void;
    const work = new Promise<string>((resolve) => (finish = resolve));
    const first = shedder.execute(() => work, { priority: 'critical' });
    const waiter = shedder.execute(() => order.push('waiter'), { priority: 'critical' });
    // Runs right after the shedder's own settlement handler on `work`, before the waiter resumes.
    const newcomer = work.then(() => {
      expect(order).toEqual([]);
      expect([shedder.inFlight, shedder.queued]).toEqual([1, 0]);
      return shedder.execute(() => order.push('newcomer'), { priority: 'critical' });
    });
    finish('first');
    await Promise.all([first, waiter, newcomer]);
    expect(order).toEqual(['waiter', 'newcomer']);
    expect(shedder.stats()).toMatchObject({ inFlight: 0, admitted: 3, queuedTotal: 2 });
  });

  it('never runs a call whose caller aborts after its slot was granted but before it resumed, and frees that slot', async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 1, maxQueue: 2 });
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const controller = new AbortController();
    const fn = vi.fn();
    const granted = shedder.execute(fn, { signal: controller.signal, priority: 'critical' }).catch((e: unknown) => e);
    const next = shedder.execute(() => 'next', { priority: 'critical' });
    // The release that grants the slot changes the level; the listener aborts in that same moment.
    shedder.events.on('loadLevelChange', () => controller.abort('aborted after grant'));
    await calls.release();
    expect(await granted).toBe('aborted after grant');
    await expect(next).resolves.toBe('next');
    expect(fn).not.toHaveBeenCalled();
    expect(shedder.stats()).toMatchObject({ inFlight: 0, queued: 0, abandoned: 1 });
  });

  it("keeps the caller's AsyncLocalStorage context across the wait", async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 1, maxQueue: 1 });
    const calls = new HeldCalls();
    const storage = new AsyncLocalStorage<string>();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const seen = storage.run('request-42', () => shedder.execute(() => storage.getStore(), { priority: 'critical' }));
    await calls.release();
    await expect(seen).resolves.toBe('request-42');
  });

  it('sheds every priority once in-flight calls are full, with maxQueue 0', async () => {
    const { shedder } = shedderOnClock({ maxInFlight: 1, maxQueue: 0 });
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    expect(await admitted(shedder)).toEqual([]);
    expect(shedder.queued).toBe(0);
    await calls.release();
  });

  it('queues a tenth of maxInFlight (rounded up) by default, so that a freed slot goes to a waiting call at once', async () => {
    const shedder = new LoadShedder({ registry: false, clock: new ManualClock(), maxInFlight: 20 });
    const calls = new HeldCalls();
    const running = Array.from({ length: 22 }, () => shedder.execute(calls.hold('ok')));
    expect([shedder.inFlight, shedder.queued, calls.started]).toEqual([20, 2, 20]);
    await expect(shedder.execute(() => 'never')).rejects.toMatchObject({ reason: 'capacity', loadLevel: 'critical' });
    await calls.release(1);
    expect([shedder.inFlight, shedder.queued, calls.started]).toEqual([20, 1, 21]);
    expect(shedder.stats()).toMatchObject({ maxQueue: 2, queuedTotal: 2, rejected: 1 });
    await calls.release(20);
    expect([shedder.inFlight, shedder.queued, calls.started]).toEqual([1, 0, 22]);
    await calls.release(1);
    await expect(Promise.all(running)).resolves.toHaveLength(22);
    expect(new LoadShedder({ registry: false, maxInFlight: 1 }).stats().maxQueue).toBe(1);
    expect(new LoadShedder({ registry: false, maxInFlight: 30 }).stats().maxQueue).toBe(3);
    expect(new LoadShedder({ registry: false, maxInFlight: 31 }).stats().maxQueue).toBe(4);
  });
});

describe('LoadShedder events, exceptions and stats', () => {
  it('emits rejected with reason, priority, level, hint and counts, on the instance and on the bus', async () => {
    const { shedder, clock } = shedderOnClock({ maxInFlight: 2, retryAfterMs: 250, name: 'shed-events' });
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const local: LoadShedderRejectedEvent[] = [];
    const onBus = vi.fn();
    shedder.events.on('rejected', (e) => local.push(e));
    // through '*', which receives every bus type
    const onAny = (type: string, event: unknown) => {
      if (type === 'loadShedder:rejected') onBus(event);
    };
    bus.on('*', onAny);
    try {
      await outcome(shedder.execute(() => 'never', { priority: 'low' }));
    } finally {
      bus.off('*', onAny);
    }
    const expected = {
      type: 'rejected',
      patternType: 'loadShedder',
      patternName: 'shed-events',
      timestamp: clock.now(),
      priority: 'low',
      reason: 'capacity',
      loadLevel: 'elevated',
      retryAfterMs: 250,
      inFlight: 1,
      queued: 0,
    };
    expect(local).toEqual([expected]);
    expect(onBus).toHaveBeenCalledWith(expected);
    await calls.release();
  });

  it('gives each rejected event the reason of the error its caller receives, and counts it by reason', async () => {
    const { shedder, clock } = shedderOnClock({ maxInFlight: 1, maxQueue: 3, maxWaitMs: 100 });
    const events: LoadShedderRejectedEvent[] = [];
    shedder.events.on('rejected', (e) => events.push(e));
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const reasonOf = (promise: Promise<unknown>) => promise.then(
      () => 'ran',
      (error: unknown) => (error instanceof LoadShedError ? error.reason : error),
    );
    const byTimeout = reasonOf(shedder.execute(() => 'never', { priority: 'critical' }));
    const byDeadline = reasonOf(shedder.execute(() => 'never', { priority: 'critical', timeoutMs: 40 }));
    const atOnce = reasonOf(shedder.execute(() => 'never', { priority: 'critical', deadline: clock.now() }));
    // 1 in flight and 2 queued of 4 places: low is over its threshold 0.5
    const byCapacity = reasonOf(shedder.execute(() => 'never', { priority: 'low' }));
    await clock.advance(100);
    const reasons = await Promise.all([byTimeout, byDeadline, atOnce, byCapacity]);
    expect(reasons).toEqual(['queueTimeout', 'deadline', 'deadline', 'capacity']);
    expect(events.map((e) => e.reason)).toEqual(['deadline', 'capacity', 'deadline', 'queueTimeout']);
    expect(events.every((e) => e.type === 'rejected' && e.retryAfterMs === 1_000)).toBe(true);
    expect(shedder.stats()).toMatchObject({
      rejected: 4,
      rejectedByReason: { capacity: 1, signals: 0, queueTimeout: 1, deadline: 2 },
      rejectedByPriority: { critical: 3, high: 0, normal: 0, low: 1 },
    });
    await calls.release();
  });

  it('counts shed calls when nobody listens, reports or transforms', async () => {
    const shedder = new LoadShedder({ registry: false, maxInFlight: 1, maxQueue: 0 });
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const error = await shedder.execute(() => 'never', { priority: 'high' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'capacity', loadLevel: 'critical' });
    expect(shedder.stats()).toMatchObject({ rejected: 1, rejectedByReason: { capacity: 1 }, rejectedByPriority: { high: 1 } });
    await calls.release();
  });

  it('reports its level as health state, healthy at normal and elevated, unhealthy at high and critical', async () => {
    const registry = new Registry();
    const shedder = new LoadShedder({ name: 'health-shedder', registry, maxInFlight: 4, maxQueue: 0, priorityThresholds: TIERED_THRESHOLDS });
    const calls = new HeldCalls();
    const seen: Array<[string, unknown, string]> = [];
    for (let i = 0; i <= 4; i++) {
      seen.push([shedder.loadLevel, shedder.health(), registry.health().status]);
      if (i < 4) void shedder.execute(calls.hold(), { priority: 'critical' });
    }
    expect(seen).toEqual([
      ['normal', { state: 'normal', healthy: true }, 'ok'],
      ['normal', { state: 'normal', healthy: true }, 'ok'],
      ['elevated', { state: 'elevated', healthy: true }, 'ok'],
      ['high', { state: 'high', healthy: false }, 'degraded'],
      ['critical', { state: 'critical', healthy: false }, 'degraded'],
    ]);
    expect(registry.health().instances['health-shedder']).toMatchObject({ state: 'critical', healthy: false });
    await calls.release(4);
    expect(shedder.health()).toEqual({ state: 'normal', healthy: true });
    expect(registry.health().status).toBe('ok');
  });

  it("tells onException of each shed call with reason 'shed', and lets transform replace the caller's error", async () => {
    const onException = vi.fn();
    const { shedder } = shedderOnClock({
      maxInFlight: 1,
      exceptions: { onException, transform: (error) => new Error('busy', { cause: error }) },
    });
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const error = (await shedder.execute(() => 'never', { priority: 'high' }).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('busy');
    expect(error.cause).toBeInstanceOf(LoadShedError);
    expect(onException).toHaveBeenCalledWith({
      patternType: 'loadShedder',
      patternName: shedder.name,
      reason: 'shed',
      error: error.cause,
      metadata: { priority: 'high', reason: 'capacity', loadLevel: 'critical', retryAfterMs: 1_000, inFlight: 1, queued: 0 },
    });
    await calls.release();
  });

  it("never reports fn's own errors", async () => {
    const onException = vi.fn();
    const { shedder } = shedderOnClock({ maxInFlight: 1, exceptions: { onException } });
    await expect(shedder.execute(() => Promise.reject(new Error('own')))).rejects.toThrow('own');
    expect(onException).not.toHaveBeenCalled();
  });

  it("logs a listener or onException that throws, and the call's outcome is unchanged", async () => {
    const error = vi.fn();
    setLogger({ error, warn: vi.fn(), info: vi.fn(), debug: vi.fn() });
    const { shedder } = shedderOnClock({
      maxInFlight: 1,
      exceptions: {
        onException: () => {
          throw new Error('callback bug');
        },
      },
    });
    shedder.events.on('rejected', () => {
      throw new Error('listener bug');
    });
    shedder.events.on('loadLevelChange', () => {
      throw new Error('listener bug');
    });
    const calls = new HeldCalls();
    const running = shedder.execute(calls.hold('ok'), { priority: 'critical' });
    await expect(shedder.execute(() => 'never')).rejects.toBeInstanceOf(LoadShedError);
    await calls.release();
    await expect(running).resolves.toBe('ok');
    expect(shedder.inFlight).toBe(0);
    expect(error).toHaveBeenCalledTimes(4);
  });

  it('builds no stack trace by default, and a real one with captureRejectionStacks', async () => {
    for (const captureRejectionStacks of [false, true]) {
      const { shedder } = shedderOnClock({ maxInFlight: 1, captureRejectionStacks });
      const calls = new HeldCalls();
      void shedder.execute(calls.hold(), { priority: 'critical' });
      const error = (await shedder.execute(() => 'never').catch((e: unknown) => e)) as LoadShedError;
      expect(error).toBeInstanceOf(LoadShedError);
      expect(error).toMatchObject({ code: 'LOAD_SHED', name: 'LoadShedError', loadLevel: 'critical' });
      if (captureRejectionStacks) expect(error.stack).toContain('load-shedder');
      else expect(error.stack).toContain('no stack trace: set captureRejectionStacks');
      await calls.release();
    }
  });

  it('returns plain JSON data from stats() and joins its registry', async () => {
    const registry = new Registry();
    const shedder = new LoadShedder({ name: 'stats-shedder', registry, maxInFlight: 2, maxQueue: 2, priorityThresholds: TIERED_THRESHOLDS });
    const calls = new HeldCalls();
    for (const priority of ['critical', 'critical', 'high'] as const) void shedder.execute(calls.hold(), { priority });
    await outcome(shedder.execute(() => 'never', { priority: 'low' }));
    const stats = shedder.stats();
    expect(stats).toEqual({
      loadLevel: 'high',
      inFlight: 2,
      queued: 1,
      maxInFlight: 2,
      maxQueue: 2,
      occupancy: 0.75,
      signalPressure: 0,
      signals: { eventLoopDelayMs: null, eventLoopUtilization: null, heapUsedRatio: null },
      admitted: 2,
      queuedTotal: 1,
      abandoned: 0,
      rejected: 1,
      rejectedByPriority: { critical: 0, high: 0, normal: 0, low: 1 },
      rejectedByReason: { capacity: 1, signals: 0, queueTimeout: 0, deadline: 0 },
    });
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
    expect(registry.get('stats-shedder')).toBe(shedder);
    expect(registry.health().instances['stats-shedder']).toEqual({ patternType: 'loadShedder', state: 'high', healthy: false, stats });
    expect(shedder.patternType).toBe('loadShedder');
    await calls.release(3);
  });

  it('types execute, events and stats for their users', () => {
    const shedder = new LoadShedder({ maxInFlight: 1, registry: false });
    expectTypeOf(shedder.execute(() => 42)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(shedder.execute(async () => 'text')).toEqualTypeOf<Promise<string>>();
    shedder.events.on('rejected', (e) => {
      expectTypeOf(e.priority).toEqualTypeOf<Priority>();
      expectTypeOf(e.loadLevel).toEqualTypeOf<LoadLevel>();
      expectTypeOf(e.reason).toEqualTypeOf<'capacity' | 'signals' | 'queueTimeout' | 'deadline'>();
    });
    shedder.events.on('loadLevelChange', (e) => expectTypeOf(e.to).toEqualTypeOf<LoadLevel>());
    expectTypeOf(shedder.loadLevel).toEqualTypeOf<'normal' | 'elevated' | 'high' | 'critical'>();
    expectTypeOf(shedder.stats().rejectedByPriority).toEqualTypeOf<Readonly<Record<Priority, number>>>();
  });

  it('names itself loadShedder-N by default', () => {
    const shedder = new LoadShedder({ maxInFlight: 1, registry: false });
    expect(shedder.name).toMatch(/^loadShedder-\d+$/);
  });
});

describe('LoadShedder options', () => {
  const invalid = (options: unknown): ConfigError => {
    try {
      new LoadShedder(options as never);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error('expected a ConfigError');
  };

  it('requires maxInFlight', () => {
    expect(invalid({}).issues).toEqual([{ path: 'maxInFlight', message: 'is required' }]);
    expect(invalid(undefined).issues).toEqual([{ path: 'maxInFlight', message: 'is required' }]);
  });

  it('names every field of the wrong type or out of range in one error', () => {
    const error = invalid({
      maxInFlight: 0,
      maxQueue: -1,
      maxWaitMs: 'soon',
      retryAfterMs: -5,
      captureRejectionStacks: 'yes',
      priorityThresholds: { low: 0, critical: 1.5 },
      signals: { maxEventLoopDelayMs: -1, maxHeapUsedRatio: 2, sampleIntervalMs: 0, source: {} },
      clock: {},
    });
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(
      [
        'maxInFlight',
        'maxQueue',
        'maxWaitMs',
        'priorityThresholds.low',
        'priorityThresholds.critical',
        'signals.maxEventLoopDelayMs',
        'signals.maxHeapUsedRatio',
        'signals.sampleIntervalMs',
        'signals.source',
        'retryAfterMs',
        'captureRejectionStacks',
        'clock',
      ].sort(),
    );
    expect(error.message).toContain('maxInFlight: must be an integer ≥ 1, got 0');
    expect(error.message).toContain('retryAfterMs: must be ≥ 0, got -5');
  });

  it('rejects unknown keys, nested ones included', () => {
    const error = invalid({ maxInFlight: 1, maxInflight: 2, priorityThresholds: { urgent: 1 }, signals: { maxCpu: 1, maxHeapUsedRatio: 0.9 } });
    expect(error.issues).toHaveLength(3);
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'maxInflight', message: 'unknown option' },
        { path: 'priorityThresholds.urgent', message: 'unknown option' },
        { path: 'signals.maxCpu', message: 'unknown option' },
      ]),
    );
  });

  it('rejects thresholds that decrease from low to critical, defaults filled in', () => {
    expect(invalid({ maxInFlight: 1, priorityThresholds: { normal: 0.8, high: 0.7 } }).issues).toEqual([
      {
        path: 'priorityThresholds',
        message: 'must not decrease from low to critical (defaults filled in), got low 0.5, normal 0.8, high 0.7, critical 1',
      },
    ]);
  });

  it('rejects the former option name queueTimeoutMs as unknown', () => {
    expect(invalid({ maxInFlight: 1, maxQueue: 1, queueTimeoutMs: 10 }).issues).toEqual([{ path: 'queueTimeoutMs', message: 'unknown option' }]);
  });

  it('rejects signals that configure no signal, and maxWaitMs without a queue', () => {
    expect(invalid({ maxInFlight: 1, maxQueue: 0, signals: { sampleIntervalMs: 100 }, maxWaitMs: 10 }).issues).toEqual([
      { path: 'signals', message: 'sets no signal; set at least one of maxEventLoopDelayMs, maxEventLoopUtilization, maxHeapUsedRatio' },
      { path: 'maxWaitMs', message: 'applies only with a queue; maxQueue is 0' },
    ]);
    expect(() => new LoadShedder({ registry: false, maxInFlight: 1, maxWaitMs: 10 })).not.toThrow();
  });

  it('accepts a custom clock', () => {
    const clock: Clock = new ManualClock();
    expect(() => new LoadShedder({ maxInFlight: 1, clock, registry: false })).not.toThrow();
  });
});
