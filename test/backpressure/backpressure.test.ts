import { AsyncLocalStorage } from 'node:async_hooks';
import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import {
  Backpressure,
  BackpressureTimeoutError,
  type BackpressurePauseEvent,
  type BackpressureRejectedEvent,
  type BackpressureResumeEvent,
} from '../../src/backpressure/index';
import {
  bus,
  compose,
  ConfigError,
  type ExceptionContext,
  isBulwarkError,
  OperationTimeoutError,
  Registry,
  RejectedError,
  Timeout,
} from '../../src/index';
import { Job, onClock, startJobs } from './support';
import { flushPromises } from '../support/async';

describe('Backpressure hysteresis', () => {
  it('pauses when pending reaches highWaterMark and resumes only when it falls to lowWaterMark', async () => {
    const { backpressure } = onClock({ highWaterMark: 4, lowWaterMark: 1 });
    const running = startJobs(backpressure, 4);
    const seen: Array<[number, boolean]> = [[backpressure.pending, backpressure.paused]];
    for (const { job } of running) {
      job.finish();
      await flushPromises();
      seen.push([backpressure.pending, backpressure.paused]);
    }
    expect(seen).toEqual([
      [4, true],
      [3, true],
      [2, true],
      [1, false],
      [0, false],
    ]);
  });

  it('stays flowing below highWaterMark, and after a resume pauses again only at highWaterMark', () => {
    const { backpressure } = onClock({ highWaterMark: 4, lowWaterMark: 1 });
    expect([1, 2, 3].map(() => backpressure.acquire())).toEqual([true, true, true]);
    expect(backpressure.paused).toBe(false);
    expect(backpressure.acquire()).toBe(false);
    backpressure.release(3);
    expect([backpressure.pending, backpressure.paused]).toEqual([1, false]);
    expect([backpressure.acquire(), backpressure.acquire()]).toEqual([true, true]);
    expect(backpressure.paused).toBe(false);
    expect(backpressure.acquire()).toBe(false);
  });

  it('makes a call that arrives while paused wait, and runs it when pending falls to lowWaterMark, not before', async () => {
    const { backpressure } = onClock({ highWaterMark: 2, lowWaterMark: 0 });
    const [first, second] = startJobs(backpressure, 2);
    const late = new Job('late');
    const result = backpressure.execute(late.fn);
    await flushPromises();
    expect(late.started).toBe(false);
    first?.job.finish();
    await flushPromises();
    expect([backpressure.pending, backpressure.paused, late.started]).toEqual([1, true, false]);
    second?.job.finish();
    await flushPromises();
    expect([backpressure.pending, backpressure.paused, late.started]).toEqual([1, false, true]);
    late.finish();
    await expect(result).resolves.toBe('late');
    expect(backpressure.pending).toBe(0);
  });

  it('lets waiting calls go in arrival order, at most highWaterMark − lowWaterMark per resume', async () => {
    const { backpressure } = onClock({ highWaterMark: 3, lowWaterMark: 1 });
    const started: string[] = [];
    const running = startJobs(backpressure, 3, started, 'running');
    const waiting = startJobs(backpressure, 5, started, 'waiting');
    await flushPromises();
    expect(backpressure.stats().queued).toBe(5);
    running[0]?.job.finish();
    running[1]?.job.finish();
    await flushPromises();
    expect(started.slice(3)).toEqual(['waiting1', 'waiting2']);
    expect([backpressure.pending, backpressure.paused]).toEqual([3, true]);
    for (const entry of [running[2], waiting[0]]) entry?.job.finish();
    await flushPromises();
    expect(started.slice(3)).toEqual(['waiting1', 'waiting2', 'waiting3', 'waiting4']);
    for (const entry of [waiting[1], waiting[2]]) entry?.job.finish();
    await flushPromises();
    expect(started.slice(3)).toEqual(['waiting1', 'waiting2', 'waiting3', 'waiting4', 'waiting5']);
    for (const entry of [waiting[3], waiting[4]]) entry?.job.finish();
    await expect(Promise.all(waiting.map(({ result }) => result))).resolves.toHaveLength(5);
    expect(backpressure.stats()).toMatchObject({ pending: 0, paused: false, queued: 0, peakPending: 3 });
  });

  it('counts units acquired in one step, staying paused until pending is back at lowWaterMark', () => {
    const { backpressure } = onClock({ highWaterMark: 4, lowWaterMark: 1 });
    expect(backpressure.acquire(10)).toBe(false);
    backpressure.release(8);
    expect([backpressure.pending, backpressure.paused]).toEqual([2, true]);
    backpressure.release();
    expect([backpressure.pending, backpressure.paused]).toEqual([1, false]);
    expect(backpressure.stats()).toMatchObject({ peakPending: 10, pauses: 1 });
  });

  it('counts execute calls and acquired units together', async () => {
    const { backpressure } = onClock({ highWaterMark: 4, lowWaterMark: 1 });
    backpressure.acquire(3);
    const [admitted] = startJobs(backpressure, 1);
    expect([backpressure.pending, backpressure.paused]).toEqual([4, true]);
    const [waiting] = startJobs(backpressure, 1, undefined, 'waiting');
    backpressure.release(2);
    await flushPromises();
    expect(waiting?.job.started).toBe(false);
    admitted?.job.finish();
    await flushPromises();
    expect(waiting?.job.started).toBe(true);
    expect(backpressure.pending).toBe(2);
  });

  it('runs synchronous functions and synchronous throws, releasing their unit either way', async () => {
    const { backpressure } = onClock({ highWaterMark: 1, lowWaterMark: 0 });
    await expect(backpressure.execute(() => 7)).resolves.toBe(7);
    const bug = new TypeError('bug');
    await expect(
      backpressure.execute(() => {
        throw bug;
      }),
    ).rejects.toBe(bug);
    const failure = new Error('async failure');
    await expect(backpressure.execute(() => Promise.reject(failure))).rejects.toBe(failure);
    expect(backpressure.stats()).toMatchObject({ pending: 0, paused: false, pauses: 3 });
  });
});

describe('Backpressure waits', () => {
  it('rejects a waiting call with BackpressureTimeoutError (queueTimeout) after maxWaitMs, leaving no waiter or timer behind', async () => {
    const { backpressure, clock } = onClock({ highWaterMark: 1, lowWaterMark: 0, maxWaitMs: 100, name: 'ingest' });
    const [running] = startJobs(backpressure, 1);
    const late = new Job('late');
    const signal = new AbortController().signal;
    const result = backpressure.execute(late.fn, { signal });
    const settled = result.catch((error: unknown) => error);
    await clock.advance(99);
    expect(backpressure.stats().queued).toBe(1);
    await clock.advance(1);
    const error = (await settled) as BackpressureTimeoutError;
    expect(error).toBeInstanceOf(BackpressureTimeoutError);
    expect(error).toBeInstanceOf(RejectedError);
    expect(isBulwarkError(error, 'BACKPRESSURE_TIMEOUT')).toBe(true);
    expect(error).toMatchObject({ reason: 'queueTimeout', waitedMs: 100, policyName: 'ingest', retryAfterMs: 0 });
    expect(error.message).toBe('Backpressure "ingest" stayed paused past maxWaitMs: the call was not made');
    expect(backpressure.stats()).toMatchObject({
      queued: 0,
      rejected: 1,
      rejectedByReason: { queueTimeout: 1, deadline: 0 },
      pending: 1,
    });
    expect(clock.pendingTimers).toBe(0);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    running?.job.finish();
    await flushPromises();
    expect(late.started).toBe(false);
    expect(backpressure.pending).toBe(0);
  });

  it("stops waiting at the call deadline when it comes before maxWaitMs, with reason 'deadline' on the error and the event", async () => {
    const { backpressure, clock } = onClock({ highWaterMark: 1, lowWaterMark: 0, maxWaitMs: 100, name: 'budget' });
    const rejections: BackpressureRejectedEvent[] = [];
    backpressure.events.on('rejected', (event) => rejections.push(event));
    backpressure.acquire();
    const result = backpressure.execute(() => 'ran', { timeoutMs: 30 });
    const settled = result.catch((error: unknown) => error);
    await clock.advance(30);
    const error = (await settled) as BackpressureTimeoutError;
    expect(error).toBeInstanceOf(BackpressureTimeoutError);
    expect(error).toMatchObject({ code: 'BACKPRESSURE_TIMEOUT', reason: 'deadline', waitedMs: 30 });
    expect(error.message).toBe('Backpressure "budget" stayed paused past its deadline: the call was not made');
    expect(rejections.map(({ reason, waitedMs, pending, queued }) => ({ reason, waitedMs, pending, queued }))).toEqual([
      { reason: 'deadline', waitedMs: 30, pending: 1, queued: 0 },
    ]);
    expect(backpressure.stats()).toMatchObject({ rejected: 1, rejectedByReason: { queueTimeout: 0, deadline: 1 } });
    expect(clock.pendingTimers).toBe(0);
  });

  it("names maxWaitMs ('queueTimeout') when it ends the wait no later than the deadline", async () => {
    const { backpressure, clock } = onClock({ highWaterMark: 1, lowWaterMark: 0, maxWaitMs: 30 });
    backpressure.acquire();
    const settled = backpressure.execute(() => 'ran', { timeoutMs: 30 }).catch((error: unknown) => error);
    await clock.advance(30);
    await expect(settled).resolves.toMatchObject({ reason: 'queueTimeout', waitedMs: 30 });
  });

  it('rejects at once a call whose deadline has passed while paused, and runs it while not paused', async () => {
    const { backpressure, clock } = onClock({ highWaterMark: 1, lowWaterMark: 0 });
    await expect(backpressure.execute(() => 'ran', { deadline: clock.now() - 1 })).resolves.toBe('ran');
    backpressure.acquire();
    await expect(backpressure.execute(() => 'ran', { deadline: clock.now() - 1 })).rejects.toMatchObject({
      code: 'BACKPRESSURE_TIMEOUT',
      reason: 'deadline',
      waitedMs: 0,
    });
    expect(backpressure.stats()).toMatchObject({ queued: 0, rejectedByReason: { queueTimeout: 0, deadline: 1 } });
  });

  it('with maxWaitMs 0 rejects at once while paused and runs at once while not', async () => {
    const { backpressure, clock } = onClock({ highWaterMark: 1, lowWaterMark: 0, maxWaitMs: 0 });
    await expect(backpressure.execute(() => 'ran')).resolves.toBe('ran');
    backpressure.acquire();
    await expect(backpressure.execute(() => 'ran')).rejects.toBeInstanceOf(BackpressureTimeoutError);
    await expect(backpressure.ready()).rejects.toMatchObject({ reason: 'queueTimeout', waitedMs: 0 });
    expect(clock.pendingTimers).toBe(0);
  });

  it("removes a waiting call at once when its caller aborts, rejecting with the caller's reason", async () => {
    const { backpressure, clock } = onClock({ highWaterMark: 1, lowWaterMark: 0, maxWaitMs: 1_000 });
    const started: string[] = [];
    const [running] = startJobs(backpressure, 1, started, 'running');
    const controller = new AbortController();
    const aborted = new Job('aborted', started);
    const result = backpressure.execute(aborted.fn, { signal: controller.signal });
    const [next] = startJobs(backpressure, 1, started, 'next');
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(backpressure.stats().queued).toBe(1);
    expect(clock.pendingTimers).toBe(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    running?.job.finish();
    await flushPromises();
    expect(started).toEqual(['running1', 'next1']);
    next?.job.finish();
    await flushPromises();
    expect(backpressure.stats()).toMatchObject({ pending: 0, queued: 0, rejected: 0 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects at once with the reason of an already-aborted signal, paused or not', async () => {
    const { backpressure } = onClock({ highWaterMark: 1, lowWaterMark: 0 });
    const fn = vi.fn(() => 'ran');
    const signal = AbortSignal.abort('too late');
    await expect(backpressure.execute(fn, { signal })).rejects.toBe('too late');
    await expect(backpressure.ready(signal)).rejects.toBe('too late');
    backpressure.acquire();
    await expect(backpressure.execute(fn, { signal })).rejects.toBe('too late');
    await expect(backpressure.ready(signal)).rejects.toBe('too late');
    expect(fn).not.toHaveBeenCalled();
    expect(backpressure.stats()).toMatchObject({ pending: 1, queued: 0 });
  });

  it('releases the unit of a call whose caller aborts after it was let go but before it ran', async () => {
    const { backpressure } = onClock({ highWaterMark: 1, lowWaterMark: 0 });
    backpressure.acquire();
    const controller = new AbortController();
    const skipped = new Job('skipped');
    const result = backpressure.execute(skipped.fn, { signal: controller.signal });
    const next = new Job('next');
    const nextResult = backpressure.execute(next.fn);
    backpressure.release();
    expect([backpressure.pending, backpressure.paused]).toEqual([1, true]);
    controller.abort('changed my mind');
    await expect(result).rejects.toBe('changed my mind');
    await flushPromises();
    expect(skipped.started).toBe(false);
    expect(next.started).toBe(true);
    next.finish();
    await expect(nextResult).resolves.toBe('next');
    expect(backpressure.pending).toBe(0);
  });

  it('stops waiting at the deadline an enclosing Timeout sets, leaving no waiter or timer behind', async () => {
    const { backpressure, clock } = onClock({ highWaterMark: 1, lowWaterMark: 0 });
    const pipeline = compose(new Timeout({ timeoutMs: 50, clock, registry: false }), backpressure);
    backpressure.acquire();
    const fn = vi.fn(() => 'ran');
    const settled = pipeline.execute(fn).catch((error: unknown) => error);
    await clock.advance(49);
    expect(backpressure.stats().queued).toBe(1);
    await clock.advance(1);
    // Both limits fall at the same instant; either policy's error is right, and nothing may remain.
    const error = await settled;
    expect(error instanceof BackpressureTimeoutError || error instanceof OperationTimeoutError).toBe(true);
    expect(fn).not.toHaveBeenCalled();
    expect(backpressure.stats().queued).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps the AsyncLocalStorage context of a caller that waited', async () => {
    const { backpressure } = onClock({ highWaterMark: 1, lowWaterMark: 0 });
    const store = new AsyncLocalStorage<string>();
    backpressure.acquire();
    const result = store.run('request-7', () => backpressure.execute(() => store.getStore()));
    await flushPromises();
    backpressure.release();
    await expect(result).resolves.toBe('request-7');
  });
});

describe('Backpressure producers', () => {
  it('ready() resolves at once while not paused and waits while paused, counting nothing', async () => {
    const { backpressure } = onClock({ highWaterMark: 2, lowWaterMark: 0 });
    await backpressure.ready();
    expect(backpressure.pending).toBe(0);
    backpressure.acquire(2);
    let resolved = false;
    const waiting = backpressure.ready().then(() => (resolved = true));
    backpressure.release();
    await flushPromises();
    expect(resolved).toBe(false);
    backpressure.release();
    await waiting;
    expect([backpressure.pending, backpressure.paused]).toEqual([0, false]);
  });

  it('ready() lets every waiting producer go when the pause ends, in arrival order', async () => {
    const { backpressure } = onClock({ highWaterMark: 2, lowWaterMark: 1 });
    backpressure.acquire(2);
    const order: number[] = [];
    const producers = [1, 2, 3, 4].map((n) => backpressure.ready().then(() => order.push(n)));
    expect(backpressure.stats().queued).toBe(4);
    backpressure.release();
    await Promise.all(producers);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(backpressure.stats().queued).toBe(0);
  });

  it("ready() rejects after maxWaitMs and on its signal's abort, leaving no waiter, timer or listener behind", async () => {
    const { backpressure, clock } = onClock({ highWaterMark: 1, lowWaterMark: 0, maxWaitMs: 200 });
    backpressure.acquire();
    const controller = new AbortController();
    const timedOut = expect(backpressure.ready()).rejects.toMatchObject({
      code: 'BACKPRESSURE_TIMEOUT',
      reason: 'queueTimeout',
      waitedMs: 200,
    });
    const aborted = backpressure.ready(controller.signal);
    controller.abort('stop producing');
    await expect(aborted).rejects.toBe('stop producing');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await clock.advance(200);
    await timedOut;
    expect(backpressure.stats()).toMatchObject({ queued: 0, rejected: 1, rejectedByReason: { queueTimeout: 1, deadline: 0 }, pending: 1 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets producers already told ready() overshoot by what they acquire: at most highWaterMark + producers − 1', async () => {
    const { backpressure } = onClock({ highWaterMark: 4, lowWaterMark: 1 });
    backpressure.acquire(3);
    const producers = 5;
    await Promise.all(Array.from({ length: producers }, () => backpressure.ready()));
    for (let i = 0; i < producers; i++) backpressure.acquire();
    expect(backpressure.pending).toBe(4 + producers - 1);
    expect(backpressure.stats().peakPending).toBe(4 + producers - 1);
  });

  it('reaches highWaterMark + producers when calls fill up to the mark while producers hold a ready() answer', async () => {
    const { backpressure } = onClock({ highWaterMark: 4, lowWaterMark: 1 });
    const producers = 3;
    await Promise.all(Array.from({ length: producers }, () => backpressure.ready()));
    startJobs(backpressure, 6);
    expect([backpressure.pending, backpressure.paused]).toEqual([4, true]);
    for (let i = 0; i < producers; i++) backpressure.acquire();
    expect(backpressure.pending).toBe(4 + producers);
  });

  it('lets ready() callers go before waiting calls are counted, so neither starves the other', async () => {
    const { backpressure } = onClock({ highWaterMark: 2, lowWaterMark: 1 });
    const [running] = startJobs(backpressure, 2);
    const waiting = startJobs(backpressure, 3, undefined, 'waiting');
    let producerLetGo = false;
    const producer = backpressure.ready().then(() => (producerLetGo = true));
    running?.job.finish();
    await producer;
    await flushPromises();
    expect(producerLetGo).toBe(true);
    expect(waiting.map(({ job }) => job.started)).toEqual([true, false, false]);
    expect(backpressure.paused).toBe(true);
  });

  it('refuses to release more than pending and units that are not integers ≥ 1, changing nothing', () => {
    const { backpressure } = onClock({ highWaterMark: 4, lowWaterMark: 1, name: 'producer' });
    backpressure.acquire(2);
    expect(() => backpressure.release(3)).toThrow(new RangeError('Backpressure "producer": release(3) exceeds pending (2)'));
    for (const units of [0, -1, 1.5, Number.NaN]) {
      expect(() => backpressure.acquire(units)).toThrow(RangeError);
      expect(() => backpressure.release(units)).toThrow(RangeError);
    }
    expect(backpressure.pending).toBe(2);
  });
});

describe('Backpressure events, exceptions and stats', () => {
  it('emits pause, resume and rejected with their fields, on the instance and on the bus', async () => {
    const { backpressure, clock } = onClock({ highWaterMark: 2, lowWaterMark: 0, maxWaitMs: 50, name: 'events' });
    const local: Array<BackpressurePauseEvent | BackpressureResumeEvent | BackpressureRejectedEvent> = [];
    backpressure.events.on('*', (_type, event) => local.push(event));
    const onBus: string[] = [];
    const busListener = (type: string, event: { patternName: string }) => {
      if (event.patternName === 'events') onBus.push(type);
    };
    bus.on('*', busListener);
    try {
      const start = clock.now();
      backpressure.acquire(2);
      const timedOut = expect(backpressure.execute(() => 'ran')).rejects.toBeInstanceOf(BackpressureTimeoutError);
      await clock.advance(50);
      await timedOut;
      backpressure.ready().catch(() => {});
      await clock.advance(10);
      backpressure.release(2);
      expect(local).toEqual([
        { type: 'pause', patternType: 'backpressure', patternName: 'events', timestamp: start, pending: 2 },
        {
          type: 'rejected',
          patternType: 'backpressure',
          patternName: 'events',
          timestamp: start + 50,
          reason: 'queueTimeout',
          waitedMs: 50,
          pending: 2,
          queued: 0,
        },
        {
          type: 'resume',
          patternType: 'backpressure',
          patternName: 'events',
          timestamp: start + 60,
          pending: 0,
          queued: 1,
          pausedMs: 60,
        },
      ]);
      expect(onBus).toEqual(['backpressure:pause', 'backpressure:rejected', 'backpressure:resume']);
    } finally {
      bus.off('*', busListener);
    }
  });

  it("tells onException of a wait that timed out with reason 'backpressureTimeout', and lets transform replace the error", async () => {
    const reports: ExceptionContext[] = [];
    class Busy extends Error {}
    const { backpressure, clock } = onClock({
      highWaterMark: 1,
      lowWaterMark: 0,
      maxWaitMs: 10,
      exceptions: {
        onException: (ctx) => void reports.push(ctx),
        transform: (error) => new Busy('busy', { cause: error }),
      },
    });
    backpressure.acquire();
    const call = expect(backpressure.execute(() => 'ran')).rejects.toBeInstanceOf(Busy);
    const producer = expect(backpressure.ready()).rejects.toBeInstanceOf(Busy);
    await clock.advance(10);
    await Promise.all([call, producer]);
    expect(reports).toHaveLength(2);
    expect(reports[0]).toMatchObject({ patternType: 'backpressure', reason: 'backpressureTimeout' });
    expect(reports.map((report) => report.metadata)).toEqual([
      { reason: 'queueTimeout', waitedMs: 10, pending: 1, queued: 1 },
      { reason: 'queueTimeout', waitedMs: 10, pending: 1, queued: 0 },
    ]);
    expect(reports[0]?.error).toBeInstanceOf(BackpressureTimeoutError);
  });

  it("passes fn's errors through unchanged and never reports them", async () => {
    const onException = vi.fn();
    const { backpressure } = onClock({ exceptions: { onException } });
    const failure = new Error('dependency failed');
    await expect(backpressure.execute(() => Promise.reject(failure))).rejects.toBe(failure);
    expect(onException).not.toHaveBeenCalled();
  });

  it('lets a call through whatever its listeners and onException throw', async () => {
    const { backpressure, clock } = onClock({
      highWaterMark: 1,
      lowWaterMark: 0,
      maxWaitMs: 5,
      exceptions: {
        onException: () => {
          throw new Error('callback bug');
        },
      },
    });
    for (const type of ['pause', 'resume', 'rejected'] as const) {
      backpressure.events.on(type, () => {
        throw new Error(`${type} listener bug`);
      });
    }
    const [running] = startJobs(backpressure, 1);
    const timedOut = expect(backpressure.execute(() => 'ran')).rejects.toBeInstanceOf(BackpressureTimeoutError);
    await clock.advance(5);
    await timedOut;
    const waiting = backpressure.execute(() => 'ran after resume');
    running?.job.finish();
    await expect(waiting).resolves.toBe('ran after resume');
    await expect(running?.result).resolves.toBe('job1');
  });

  it('lets a resume listener pause it again before anyone is let go', async () => {
    const { backpressure } = onClock({ highWaterMark: 2, lowWaterMark: 0 });
    backpressure.acquire(2);
    const [waiting] = startJobs(backpressure, 1);
    let resumes = 0;
    backpressure.events.on('resume', () => {
      if (++resumes === 1) backpressure.acquire(2);
    });
    backpressure.release(2);
    await flushPromises();
    expect([backpressure.paused, waiting?.job.started]).toEqual([true, false]);
    backpressure.release(2);
    await flushPromises();
    expect(waiting?.job.started).toBe(true);
  });

  it('reports plain stats and joins the registry it is given', async () => {
    const registry = new Registry();
    const backpressure = new Backpressure({ name: 'stats', highWaterMark: 3, lowWaterMark: 1, registry });
    expect(registry.get('stats')).toBe(backpressure);
    expect(backpressure.patternType).toBe('backpressure');
    backpressure.acquire(3);
    const waiting = backpressure.execute(() => 'ran');
    const stats = backpressure.stats();
    expect(stats).toEqual({
      pending: 3,
      paused: true,
      queued: 1,
      peakPending: 3,
      pauses: 1,
      rejected: 0,
      rejectedByReason: { queueTimeout: 0, deadline: 0 },
    });
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
    expect(registry.health().instances['stats']).toEqual({ patternType: 'backpressure', healthy: true, stats });
    backpressure.release(2);
    await expect(waiting).resolves.toBe('ran');
  });

  it('stays healthy while paused, and dispose() (or await using) leaves running and waiting calls alone', async () => {
    const { late } = await (async () => {
      await using backpressure = onClock({ highWaterMark: 1, lowWaterMark: 0 }).backpressure;
      const [running] = startJobs(backpressure, 1);
      const late = backpressure.execute(() => 'late');
      expect(backpressure.health()).toEqual({ healthy: true });
      backpressure.dispose();
      backpressure.dispose();
      running?.job.finish();
      await expect(running?.result).resolves.toBe('job1');
      return { late };
    })();
    await expect(late).resolves.toBe('late');
  });
});

describe('Backpressure rejections', () => {
  it('builds its errors without a stack trace by default, one shape per reason, with waitedMs of their own', async () => {
    const { backpressure, clock } = onClock({ highWaterMark: 1, lowWaterMark: 0, maxWaitMs: 20, name: 'quiet' });
    backpressure.acquire();
    const first = backpressure.execute(() => 'ran').catch((error: unknown) => error);
    await clock.advance(5);
    const second = backpressure.ready().catch((error: unknown) => error);
    const early = backpressure.execute(() => 'ran', { timeoutMs: 10 }).catch((error: unknown) => error);
    await clock.advance(20);
    const [a, b, c] = (await Promise.all([first, second, early])) as BackpressureTimeoutError[];
    for (const error of [a, b, c]) {
      expect(error).toBeInstanceOf(BackpressureTimeoutError);
      expect(error).toBeInstanceOf(RejectedError);
      expect(error?.name).toBe('BackpressureTimeoutError');
      expect(error?.stack).toMatch(/no stack trace: set captureRejectionStacks/);
    }
    expect([a, b, c].map((error) => [error?.reason, error?.waitedMs])).toEqual([
      ['queueTimeout', 20],
      ['queueTimeout', 20],
      ['deadline', 10],
    ]);
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b));
    expect(Object.getPrototypeOf(c)).not.toBe(Object.getPrototypeOf(a));
    expect(Object.keys(a as object)).toEqual(['waitedMs']);
    expect(c?.message).toBe('Backpressure "quiet" stayed paused past its deadline: the call was not made');
  });

  it('captures a real stack trace for each error with captureRejectionStacks', async () => {
    const { backpressure } = onClock({ highWaterMark: 1, lowWaterMark: 0, maxWaitMs: 0, captureRejectionStacks: true });
    backpressure.acquire();
    const errors = (await Promise.all([
      backpressure.execute(() => 'ran').catch((error: unknown) => error),
      backpressure.ready().catch((error: unknown) => error),
    ])) as BackpressureTimeoutError[];
    for (const error of errors) {
      expect(error).toBeInstanceOf(BackpressureTimeoutError);
      expect(error).toMatchObject({ reason: 'queueTimeout', waitedMs: 0, code: 'BACKPRESSURE_TIMEOUT' });
      expect(error.stack).not.toMatch(/no stack trace/);
      expect(error.stack).toMatch(/\n\s+at /);
    }
  });

  it("emits rejected for a ready() caller whose wait ran out, with reason 'queueTimeout'", async () => {
    const { backpressure, clock } = onClock({ highWaterMark: 2, lowWaterMark: 0, maxWaitMs: 40 });
    const rejections: BackpressureRejectedEvent[] = [];
    backpressure.events.on('rejected', (event) => rejections.push(event));
    backpressure.acquire(3);
    const producers = [backpressure.ready(), backpressure.ready()].map((wait) => wait.catch((error: unknown) => error));
    await clock.advance(40);
    for (const outcome of await Promise.all(producers)) expect(outcome).toBeInstanceOf(BackpressureTimeoutError);
    expect(rejections.map(({ reason, waitedMs, pending, queued }) => ({ reason, waitedMs, pending, queued }))).toEqual([
      { reason: 'queueTimeout', waitedMs: 40, pending: 3, queued: 1 },
      { reason: 'queueTimeout', waitedMs: 40, pending: 3, queued: 0 },
    ]);
  });
});

describe('Backpressure options', () => {
  it('exposes its watermarks and defaults lowWaterMark to half of highWaterMark, rounded down', () => {
    const explicit = new Backpressure({ highWaterMark: 10, lowWaterMark: 3, maxWaitMs: 250, registry: false });
    expect([explicit.highWaterMark, explicit.lowWaterMark, explicit.maxWaitMs]).toEqual([10, 3, 250]);
    const defaults = [1, 2, 5].map((highWaterMark) => new Backpressure({ highWaterMark, registry: false }));
    expect(defaults.map((b) => [b.lowWaterMark, b.maxWaitMs])).toEqual([
      [0, undefined],
      [1, undefined],
      [2, undefined],
    ]);
    expect(defaults[0]?.name).toMatch(/^backpressure-\d+$/);
  });

  it('rejects a lowWaterMark that is not below highWaterMark, naming both fields', () => {
    for (const lowWaterMark of [5, 6]) {
      try {
        new Backpressure({ highWaterMark: 5, lowWaterMark, registry: false });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).issues).toEqual([
          { path: 'lowWaterMark', message: `lowWaterMark (${lowWaterMark}) must be less than highWaterMark (5)` },
          { path: 'highWaterMark', message: `lowWaterMark (${lowWaterMark}) must be less than highWaterMark (5)` },
        ]);
      }
    }
  });

  it('requires highWaterMark', () => {
    expect(() => new Backpressure({} as never)).toThrow(/highWaterMark: is required/);
    expect(() => new Backpressure(undefined as never)).toThrow(ConfigError);
  });

  it('names every bad field: wrong types, negatives, fractions and unknown keys', () => {
    try {
      new Backpressure({
        highWaterMark: 0,
        lowWaterMark: -1,
        maxWaitMs: -5,
        captureRejectionStacks: 'yes',
        name: '',
        highWatermark: 3,
        clock: {},
      } as never);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((issue) => issue.path).sort()).toEqual(
        ['captureRejectionStacks', 'clock', 'highWaterMark', 'highWatermark', 'lowWaterMark', 'maxWaitMs', 'name'].sort(),
      );
    }
    expect(() => new Backpressure({ highWaterMark: 2.5 })).toThrow(/highWaterMark: .*got 2\.5/);
    expect(() => new Backpressure({ highWaterMark: '10' as never })).toThrow(/highWaterMark: .*got '10'/);
    expect(() => new Backpressure({ highWaterMark: 4, lowWaterMark: 1.5 })).toThrow(/lowWaterMark: must be an integer ≥ 0/);
    expect(() => new Backpressure({ highWaterMark: 4, maxWaitMs: Number.POSITIVE_INFINITY })).toThrow(/maxWaitMs: /);
    expect(() => new Backpressure({ highWaterMark: 4, timeoutMs: 100 } as never)).toThrow(/timeoutMs: unknown option/);
    expect(() => new Backpressure({ highWaterMark: 4, exceptions: { onException: 'log' } as never })).toThrow(
      /exceptions\.onException: expected a function/,
    );
  });
});
