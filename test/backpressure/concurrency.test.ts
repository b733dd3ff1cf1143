import { describe, expect, it } from 'vitest';
import { Backpressure } from '../../src/backpressure/index';

/** Yields to the event loop: a macrotask, so that every other producer and consumer may run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Yields a random number of times (0–2), to vary the interleavings from run to run. */
async function jitter(): Promise<void> {
  for (let n = Math.floor(Math.random() * 3); n > 0; n--) await tick();
}

describe('Backpressure under real concurrency', () => {
  it.each([
    { producers: 1, highWaterMark: 8, lowWaterMark: 2 },
    { producers: 8, highWaterMark: 16, lowWaterMark: 4 },
    { producers: 20, highWaterMark: 5, lowWaterMark: 0 },
  ])(
    'keeps a ready() producer loop against a slow consumer within highWaterMark + producers − 1 ($producers producers, marks $highWaterMark/$lowWaterMark)',
    async ({ producers, highWaterMark, lowWaterMark }) => {
      const backpressure = new Backpressure({ highWaterMark, lowWaterMark, registry: false });
      const bound = highWaterMark + producers - 1;
      const itemsPerProducer = 60;
      const buffer: number[] = [];
      let produced = 0;
      let consumed = 0;
      let violations = 0;

      const produce = async () => {
        for (let i = 0; i < itemsPerProducer; i++) {
          await backpressure.ready();
          await jitter(); // e.g. reading the next job from its source
          backpressure.acquire();
          if (backpressure.pending > bound) violations++;
          buffer.push(produced++);
        }
      };
      const total = producers * itemsPerProducer;
      const consume = async () => {
        while (consumed < total) {
          const item = buffer.shift();
          await tick(); // the slow part: one macrotask per item, or an idle poll
          if (item === undefined) continue;
          await jitter();
          consumed++;
          backpressure.release();
        }
      };

      await Promise.all([...Array.from({ length: producers }, produce), consume()]);
      const stats = backpressure.stats();
      expect(violations).toBe(0);
      expect(consumed).toBe(total);
      expect(stats.peakPending).toBeLessThanOrEqual(bound);
      expect(stats.pauses).toBeGreaterThan(0);
      expect(stats).toMatchObject({ pending: 0, paused: false, queued: 0, rejected: 0 });
    },
  );

  it('never runs more than highWaterMark calls at once, and starts 300 calls arriving together in arrival order', async () => {
    const highWaterMark = 7;
    const backpressure = new Backpressure({ highWaterMark, lowWaterMark: 3, registry: false });
    let running = 0;
    let maxRunning = 0;
    const started: number[] = [];
    const call = (id: number) => async () => {
      started.push(id);
      running++;
      maxRunning = Math.max(maxRunning, running);
      expect(backpressure.pending).toBeLessThanOrEqual(highWaterMark);
      await jitter();
      await tick();
      running--;
      return id;
    };
    const ids = Array.from({ length: 300 }, (_, id) => id);
    const results = await Promise.all(ids.map((id) => backpressure.execute(call(id))));
    expect(results).toEqual(ids);
    expect(started).toEqual(ids);
    expect(maxRunning).toBe(highWaterMark);
    expect(backpressure.stats()).toMatchObject({ pending: 0, paused: false, queued: 0, peakPending: highWaterMark });
  });

  it('never lets producers and calls sharing one instance exceed highWaterMark + producers', async () => {
    const highWaterMark = 10;
    const producers = 4;
    const backpressure = new Backpressure({ highWaterMark, lowWaterMark: 5, registry: false });
    // Calls may be the ones that fill up to the mark while every producer holds a ready() answer.
    const bound = highWaterMark + producers;
    let violations = 0;
    const check = () => {
      if (backpressure.pending > bound) violations++;
    };
    let outstanding = 0;
    const produce = async () => {
      for (let i = 0; i < 50; i++) {
        await backpressure.ready();
        await jitter();
        backpressure.acquire();
        check();
        outstanding++;
        // The unit's work ends later, elsewhere: a consumer releases it.
        setImmediate(() => {
          void jitter().then(() => {
            outstanding--;
            backpressure.release();
          });
        });
      }
    };
    const callers = Array.from({ length: 200 }, () =>
      backpressure.execute(async () => {
        check();
        await jitter();
        await tick();
      }),
    );
    await Promise.all([...Array.from({ length: producers }, produce), ...callers]);
    while (outstanding > 0) await tick();
    expect(violations).toBe(0);
    expect(backpressure.stats().peakPending).toBeLessThanOrEqual(bound);
    expect(backpressure.stats()).toMatchObject({ pending: 0, queued: 0 });
  });
});
