import { describe, expect, it } from 'vitest';
import type { Priority } from '../../src/index';
import { LoadShedError, LoadShedder } from '../../src/load-shedder/index';
import { TIERED_THRESHOLDS } from './support';

const PRIORITIES: Priority[] = ['low', 'normal', 'high', 'critical'];

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so that failures reproduce. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('LoadShedder under real concurrency', () => {
  it('sheds 1,000 mixed-priority calls arriving at once low first, then normal, high and critical last', async () => {
    const shedder = new LoadShedder({ registry: false, maxInFlight: 100, maxQueue: 0, priorityThresholds: TIERED_THRESHOLDS });
    const next = random(1);
    let running = 0;
    let maxRunning = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const task = async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      expect(shedder.inFlight).toBeLessThanOrEqual(100);
      await gate;
      running--;
      return 'ran';
    };
    const arrivals = Array.from({ length: 1_000 }, () => {
      const priority = PRIORITIES[Math.floor(next() * 4)] as Priority;
      const inFlightBefore = shedder.inFlight;
      const result = shedder.execute(task, { priority }).then(
        () => 'ran',
        (error: unknown) => (error instanceof LoadShedError ? 'shed' : 'failed'),
      );
      return { priority, inFlightBefore, result };
    });
    open();
    const outcomes = await Promise.all(arrivals.map((arrival) => arrival.result));
    const limits: Record<Priority, number> = { low: 50, normal: 75, high: 90, critical: 100 };
    arrivals.forEach(({ priority, inFlightBefore }, index) => {
      expect(outcomes[index], `call ${index} (${priority}) at ${inFlightBefore} in flight`).toBe(
        inFlightBefore >= limits[priority] ? 'shed' : 'ran',
      );
    });
    const firstShed = PRIORITIES.map((priority) =>
      arrivals.findIndex((arrival, index) => arrival.priority === priority && outcomes[index] === 'shed'),
    );
    expect(firstShed.every((index) => index >= 0)).toBe(true);
    expect([...firstShed].sort((a, b) => a - b)).toEqual(firstShed);
    const shedRate = PRIORITIES.map((priority) => {
      const ofPriority = arrivals.filter((arrival) => arrival.priority === priority).length;
      return shedder.stats().rejectedByPriority[priority] / ofPriority;
    });
    expect([...shedRate].sort((a, b) => b - a)).toEqual(shedRate);
    expect(new Set(shedRate).size).toBe(4);
    expect(maxRunning).toBe(100);
    expect(shedder.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 100, rejected: 900, loadLevel: 'normal' });
  });

  it('keeps in-flight ≤ maxInFlight and queue ≤ maxQueue, and sheds each call exactly when its priority is over its threshold, across 1,000 interleaved calls', async () => {
    const maxInFlight = 50;
    const maxQueue = 50;
    const shedder = new LoadShedder({ registry: false, maxInFlight, maxQueue, priorityThresholds: TIERED_THRESHOLDS });
    const next = random(7);
    let running = 0;
    let maxRunning = 0;
    let maxQueued = 0;
    let ran = 0;
    const task = async (ticks: number) => {
      running++;
      ran++;
      maxRunning = Math.max(maxRunning, running);
      maxQueued = Math.max(maxQueued, shedder.queued);
      expect(running).toBeLessThanOrEqual(maxInFlight);
      expect(shedder.inFlight).toBeLessThanOrEqual(maxInFlight);
      for (let i = 0; i < ticks; i++) await tick();
      running--;
    };
    const arrivals: Array<{ priority: Priority; occupied: number; result: Promise<string> }> = [];
    for (let wave = 0; wave < 20; wave++) {
      for (let i = 0; i < 50; i++) {
        const priority = PRIORITIES[Math.floor(next() * 4)] as Priority;
        const ticks = Math.floor(next() * 4);
        const occupied = shedder.inFlight + shedder.queued;
        const result = shedder.execute(() => task(ticks), { priority }).then(
          () => 'ran',
          (error: unknown) => (error instanceof LoadShedError ? 'shed' : 'failed'),
        );
        arrivals.push({ priority, occupied, result });
      }
      await tick();
    }
    const outcomes = await Promise.all(arrivals.map((arrival) => arrival.result));
    const thresholds: Record<Priority, number> = TIERED_THRESHOLDS;
    arrivals.forEach(({ priority, occupied }, index) => {
      const load = occupied / (maxInFlight + maxQueue);
      expect(outcomes[index], `call ${index} (${priority}) at load ${load}`).toBe(load >= thresholds[priority] ? 'shed' : 'ran');
    });
    const shedRate = PRIORITIES.map((priority) => {
      const ofPriority = arrivals.filter((arrival) => arrival.priority === priority).length;
      return shedder.stats().rejectedByPriority[priority] / ofPriority;
    });
    expect([...shedRate].sort((a, b) => b - a)).toEqual(shedRate);
    expect(shedRate[0]).toBeGreaterThan(shedRate[3] as number);
    expect(maxRunning).toBe(maxInFlight);
    expect(maxQueued).toBeLessThanOrEqual(maxQueue);
    expect(ran).toBe(outcomes.filter((outcome) => outcome === 'ran').length);
    expect(shedder.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: ran });
  });
});
