import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrencyLimiter } from '../../src/adaptive-concurrency/index';
import { ManualClock } from '../support/manual-clock';

class IgnoredError extends Error {}

const randomPause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 2));

describe('AdaptiveConcurrencyLimiter under real concurrency', () => {
  it('never runs more than a fixed limit of 300 concurrent calls, and runs every one of them', async () => {
    const limiter = new AdaptiveConcurrencyLimiter({ registry: false, initialLimit: 8, minLimit: 8, maxLimit: 8, maxWaitMs: 10_000 });
    let running = 0;
    let maxRunning = 0;
    const task = async (i: number) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      expect(running).toBeLessThanOrEqual(8);
      expect(running).toBeLessThanOrEqual(limiter.inFlight);
      await randomPause();
      running--;
      return i;
    };
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => limiter.execute(() => task(i))));
    expect(results).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(maxRunning).toBe(8);
    expect(limiter.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 300, rejected: 0 });
  });

  it('keeps its books while the limit moves under 400 concurrent successes, failures and aborts', async () => {
    const limiter = new AdaptiveConcurrencyLimiter({
      registry: false,
      initialLimit: 10,
      minLimit: 2,
      maxLimit: 20,
      successThreshold: 1,
      maxWaitMs: 10_000,
    });
    let peakLimit = limiter.limit;
    limiter.events.on('limitChange', (e) => (peakLimit = Math.max(peakLimit, e.to)));
    let running = 0;
    const task = async (i: number, signal: AbortSignal) => {
      running++;
      expect(running).toBeLessThanOrEqual(limiter.inFlight);
      expect(limiter.inFlight).toBeLessThanOrEqual(peakLimit);
      try {
        await randomPause();
        if (signal.aborted) throw signal.reason;
        if (i % 7 === 0) throw new Error('dependency failed');
        return 'ok';
      } finally {
        running--;
      }
    };
    const calls = Array.from({ length: 400 }, (_, i) => {
      const controller = new AbortController();
      if (i % 11 === 0) setTimeout(() => controller.abort(new Error('caller gave up')), Math.random() * 20);
      return limiter.execute(({ signal }) => task(i, signal), { signal: controller.signal }).then(
        () => 'ok',
        (error: Error) => error.message,
      );
    });
    const outcomes = await Promise.all(calls);
    outcomes.forEach((outcome, i) => {
      if (i % 11 === 0) expect(['ok', 'dependency failed', 'caller gave up']).toContain(outcome);
      else expect(outcome).toBe(i % 7 === 0 ? 'dependency failed' : 'ok');
    });
    const stats = limiter.stats();
    expect(stats).toMatchObject({ inFlight: 0, queued: 0, rejected: 0 });
    expect(stats.admitted).toBe(stats.successes + stats.drops + stats.ignored);
  });
});

describe('AdaptiveConcurrencyLimiter under any interleaving (fast-check scheduler)', () => {
  type Op = 'success' | 'drop' | 'ignore' | 'abort';

  it('admits only when a permit is free, serves waiters first come first served, loses no wake-up and balances its books', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.constantFrom<Op>('success', 'drop', 'ignore', 'abort'), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        async (s, ops, initialLimit) => {
          const limiter = new AdaptiveConcurrencyLimiter({
            registry: false,
            clock: new ManualClock(), // never advanced: waits end only by a permit or an abort
            initialLimit,
            minLimit: 1,
            maxLimit: 6,
            successThreshold: 1,
            maxWaitMs: 60_000,
            exceptions: { ignore: [IgnoredError] },
          });
          let peakLimit = limiter.limit;
          limiter.events.on('limitChange', (e) => (peakLimit = Math.max(peakLimit, e.to)));
          let running = 0;
          const queued: number[] = [];
          const started: number[] = [];
          const checkBooks = () => {
            expect(running).toBeLessThanOrEqual(limiter.inFlight);
            expect(limiter.inFlight).toBeLessThanOrEqual(peakLimit);
            if (limiter.stats().queued > 0) expect(limiter.inFlight).toBeGreaterThanOrEqual(limiter.limit);
          };
          const calls = ops.map((op, id) => {
            const controller = new AbortController();
            const queuedBefore = limiter.stats().queued;
            const call = limiter.execute(
              async ({ signal }) => {
                running++;
                started.push(id);
                checkBooks();
                try {
                  await s.schedule(Promise.resolve(), `call ${id} (${op}) ends`);
                  if (signal.aborted) throw signal.reason;
                  if (op === 'drop') throw new Error('dependency failed');
                  if (op === 'ignore') throw new IgnoredError('not found');
                  return 'ok';
                } finally {
                  running--;
                  checkBooks();
                }
              },
              { signal: controller.signal },
            );
            if (limiter.stats().queued > queuedBefore) queued.push(id);
            if (op === 'abort') void s.schedule(Promise.resolve(), `abort ${id}`).then(() => controller.abort(new Error('aborted')));
            return call.then(
              (value) => value,
              (error: Error) => error.message,
            );
          });
          checkBooks();
          // Releases scheduled steps until every call has ended; hangs (and times out) on a lost wake-up.
          const outcomes = await s.waitFor(Promise.all(calls));

          ops.forEach((op, id) => {
            const expected = { success: 'ok', drop: 'dependency failed', ignore: 'not found', abort: 'aborted' }[op];
            if (op === 'abort') expect(['ok', 'aborted']).toContain(outcomes[id]);
            else expect(outcomes[id]).toBe(expected);
          });
          const stats = limiter.stats();
          expect(stats).toMatchObject({ inFlight: 0, queued: 0, rejected: 0 });
          expect(stats.admitted).toBe(started.length);
          expect(stats.admitted).toBe(stats.successes + stats.drops + stats.ignored);
          const startedFromQueue = started.filter((id) => queued.includes(id));
          expect(startedFromQueue).toEqual(queued.filter((id) => startedFromQueue.includes(id)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
