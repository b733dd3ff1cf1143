/**
 * Concurrency claims of the Bulkhead: never more than `maxInFlight` running nor `maxQueue`
 * waiting, no slot leaked by any mix of outcomes, FIFO hand-over, and no call left waiting while a
 * slot is free. Checked under real concurrency, with fast-check on a manual clock (random
 * arrivals, durations, failures, aborts, queue timeouts and deadlines), and with fast-check's
 * scheduler (random interleavings of arrivals, completions and aborts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bulkhead, BulkheadRejectedError } from '../../src/bulkhead/index';
import { ManualClock } from '../support/manual-clock';

/** How a call ended, as its caller saw it. */
type Outcome = 'ok' | 'failed' | 'queueFull' | 'queueTimeout' | 'aborted';

function classify(result: PromiseSettledResult<unknown>, abortReason: unknown): Outcome {
  if (result.status === 'fulfilled') return 'ok';
  const error: unknown = result.reason;
  if (error instanceof BulkheadRejectedError) return error.reason;
  if (error === abortReason) return 'aborted';
  return 'failed';
}

describe('Bulkhead under real concurrency', () => {
  it('never runs more than maxInFlight of 500 calls with random durations and failures, and frees every slot', async () => {
    const bulkhead = new Bulkhead({ registry: false, maxInFlight: 7, maxQueue: 500 });
    let running = 0;
    let maxRunning = 0;
    const task = async (i: number) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      expect(running).toBeLessThanOrEqual(7);
      expect(bulkhead.inFlight).toBeLessThanOrEqual(7);
      if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
      else await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
      running--;
      if (i % 5 === 0) throw new Error(`call ${i} failed`);
      return i;
    };
    const results = await Promise.allSettled(Array.from({ length: 500 }, (_, i) => bulkhead.execute(() => task(i))));
    expect(maxRunning).toBe(7);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(100);
    expect([bulkhead.inFlight, bulkhead.queued]).toEqual([0, 0]);
  });

  it('never holds more than maxQueue waiting while calls time out in the queue, abort and fail, and ends empty', async () => {
    const bulkhead = new Bulkhead({ registry: false, maxInFlight: 3, maxQueue: 10, maxWaitMs: 3 });
    let running = 0;
    let maxQueued = 0;
    const started = new Set<number>();
    const calls = Array.from({ length: 300 }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i % 20));
      const controller = new AbortController();
      if (i % 7 === 0) setTimeout(() => controller.abort(new Error(`abort ${i}`)), Math.random() * 3);
      const call = bulkhead.execute(
        async () => {
          started.add(i);
          running++;
          expect(running).toBeLessThanOrEqual(3);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
          running--;
          if (i % 4 === 0) throw new Error('failed');
        },
        { signal: controller.signal },
      );
      maxQueued = Math.max(maxQueued, bulkhead.queued);
      expect(bulkhead.queued).toBeLessThanOrEqual(10);
      return { i, result: await call.then(() => 'ok', (error: unknown) => error) };
    });
    const results = await Promise.all(calls);
    for (const { i, result } of results) {
      if (result instanceof BulkheadRejectedError) expect(started.has(i)).toBe(false);
    }
    expect(maxQueued).toBeGreaterThan(0);
    expect([bulkhead.inFlight, bulkhead.queued]).toEqual([0, 0]);
  });
});

interface CallPlan {
  /** When the call arrives, ms after the start. */
  readonly arriveAt: number;
  /** How long its function runs, ms. */
  readonly durationMs: number;
  readonly fails: boolean;
  /** When its caller aborts, ms after the start; undefined when it never does. */
  readonly abortAt: number | undefined;
  /** Whether its function stops at once when the caller aborts (otherwise it runs to the end). */
  readonly honoursAbort: boolean;
  /** Its deadline budget, ms after its arrival; undefined for none. */
  readonly budgetMs: number | undefined;
}

const callPlan: fc.Arbitrary<CallPlan> = fc.record({
  arriveAt: fc.integer({ min: 0, max: 50 }),
  durationMs: fc.integer({ min: 0, max: 30 }),
  fails: fc.boolean(),
  abortAt: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
  honoursAbort: fc.boolean(),
  budgetMs: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
});

const bulkheadConfig = fc.record({
  maxInFlight: fc.integer({ min: 1, max: 4 }),
  maxQueue: fc.integer({ min: 0, max: 6 }),
  maxWaitMs: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
});

describe('Bulkhead properties', () => {
  it('for any mix of durations, failures, aborts, queue timeouts and deadlines: limits hold, order is FIFO, and every slot is freed', async () => {
    await fc.assert(
      fc.asyncProperty(bulkheadConfig, fc.array(callPlan, { minLength: 1, maxLength: 30 }), async (config, plans) => {
        const clock = new ManualClock();
        const { maxInFlight, maxQueue, maxWaitMs } = config;
        const bulkhead = new Bulkhead({
          registry: false,
          clock,
          maxInFlight,
          maxQueue,
          ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
        });
        const violations: string[] = [];
        const check = (where: string) => {
          if (bulkhead.inFlight > maxInFlight) violations.push(`${where}: ${bulkhead.inFlight} in flight`);
          if (bulkhead.queued > maxQueue) violations.push(`${where}: ${bulkhead.queued} queued`);
          if (bulkhead.queued > 0 && bulkhead.inFlight < maxInFlight) violations.push(`${where}: waiting while a slot is free`);
        };
        let running = 0;
        const ran = new Set<number>();
        const queuedOrder: number[] = [];
        const startedFromQueue: number[] = [];
        const abortedBeforeArrival = new Set<number>();
        const reasons = plans.map((_, i) => new Error(`abort ${i}`));
        const settled: Array<Promise<{ i: number; outcome: Outcome }>> = [];

        plans.forEach((plan, i) => {
          const controller = new AbortController();
          if (plan.abortAt !== undefined) clock.setTimeout(() => controller.abort(reasons[i]), plan.abortAt);
          clock.setTimeout(() => {
            if (controller.signal.aborted) abortedBeforeArrival.add(i);
            const mustWait = bulkhead.inFlight === maxInFlight;
            let fromQueue = false;
            const fn = async () => {
              ran.add(i);
              if (fromQueue) startedFromQueue.push(i);
              running++;
              if (running > maxInFlight) violations.push(`call ${i}: ${running} running`);
              check(`call ${i} start`);
              try {
                await clock.sleep(plan.durationMs, plan.honoursAbort ? controller.signal : undefined);
              } finally {
                running--;
              }
              if (plan.fails) throw new Error(`call ${i} failed`);
              return i;
            };
            const options = {
              signal: controller.signal,
              ...(plan.budgetMs === undefined ? {} : { deadline: clock.now() + plan.budgetMs }),
            };
            const queuedBefore = bulkhead.queued;
            settled.push(
              bulkhead.execute(fn, options).then(
                () => ({ i, outcome: 'ok' as Outcome }),
                (error: unknown) => ({ i, outcome: classify({ status: 'rejected', reason: error }, reasons[i]) }),
              ),
            );
            if (mustWait && bulkhead.queued === queuedBefore + 1) {
              fromQueue = true;
              queuedOrder.push(i);
            }
            check(`arrival ${i}`);
          }, plan.arriveAt);
        });

        await clock.advance(2_000);
        const results = await Promise.all(settled);

        expect(violations).toEqual([]);
        expect(results).toHaveLength(plans.length);
        const count = (outcome: Outcome) => results.filter((result) => result.outcome === outcome).length;
        for (const { i, outcome } of results) {
          if (outcome === 'queueFull' || outcome === 'queueTimeout') expect(ran.has(i)).toBe(false);
          if (outcome === 'aborted' && abortedBeforeArrival.has(i)) expect(ran.has(i)).toBe(false);
        }
        const cancelled = results.filter(({ i, outcome }) => outcome === 'aborted' && !ran.has(i) && !abortedBeforeArrival.has(i)).length;
        expect(ran.size + count('queueFull') + count('queueTimeout') + cancelled + abortedBeforeArrival.size).toBe(plans.length);
        // FIFO: calls that waited started in the order they joined the queue.
        const waitedAndRan = queuedOrder.filter((i) => ran.has(i));
        expect(startedFromQueue).toEqual(waitedAndRan);
        expect(bulkhead.stats()).toMatchObject({
          inFlight: 0,
          queued: 0,
          rejected: count('queueFull') + count('queueTimeout'),
          rejectedByReason: { queueFull: count('queueFull'), queueTimeout: count('queueTimeout') },
          abandoned: cancelled,
        });
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('for any interleaving of arrivals, completions and aborts: never over maxInFlight, and every slot is freed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.record({ fails: fc.boolean(), aborts: fc.boolean(), honoursAbort: fc.boolean() }), { minLength: 1, maxLength: 15 }),
        async (s, maxInFlight, maxQueue, plans) => {
          const bulkhead = new Bulkhead({ registry: false, maxInFlight, maxQueue });
          let running = 0;
          let maxRunning = 0;
          let maxQueued = 0;
          const ran = new Set<number>();
          const calls: Array<Promise<{ i: number; outcome: Outcome }>> = [];
          plans.forEach((plan, i) => {
            const controller = new AbortController();
            const reason = new Error(`abort ${i}`);
            const fn = async () => {
              ran.add(i);
              running++;
              maxRunning = Math.max(maxRunning, running);
              try {
                const finished = s.schedule(Promise.resolve(), `finish ${i}`);
                if (plan.honoursAbort) {
                  await new Promise<void>((resolve, reject) => {
                    if (controller.signal.aborted) reject(controller.signal.reason);
                    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
                    void finished.then(resolve);
                  });
                } else {
                  await finished;
                }
              } finally {
                running--;
              }
              if (plan.fails) throw new Error(`call ${i} failed`);
            };
            const arrived = s.schedule(Promise.resolve(), `arrive ${i}`).then(() => {
              const call = bulkhead.execute(fn, { signal: controller.signal });
              maxQueued = Math.max(maxQueued, bulkhead.queued);
              return call.then(
                () => ({ i, outcome: 'ok' as Outcome }),
                (error: unknown) => ({ i, outcome: classify({ status: 'rejected', reason: error }, reason) }),
              );
            });
            calls.push(arrived);
            if (plan.aborts) void s.schedule(Promise.resolve(), `abort ${i}`).then(() => controller.abort(reason));
          });
          const outcomes = await s.waitFor(Promise.all(calls));
          await s.waitAll();
          expect(maxRunning).toBeLessThanOrEqual(maxInFlight);
          expect(maxQueued).toBeLessThanOrEqual(maxQueue);
          for (const { i, outcome } of outcomes) {
            if (outcome === 'queueFull' || outcome === 'queueTimeout') expect(ran.has(i)).toBe(false);
          }
          expect(outcomes.some(({ outcome }) => outcome === 'queueTimeout')).toBe(false);
          expect([bulkhead.inFlight, bulkhead.queued]).toEqual([0, 0]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
