import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { sleep, systemClock } from '../../src/index';
import { MAX_TIMER_DELAY_MS } from '../../src/core/clock';
import { ManualClock } from '../support/manual-clock';

describe('sleep', () => {
  it('resolves after the given time of its clock', async () => {
    const clock = new ManualClock();
    let done = false;
    const slept = sleep(100, undefined, clock).then(() => (done = true));
    await clock.advance(99);
    expect(done).toBe(false);
    await clock.advance(1);
    await slept;
    expect(done).toBe(true);
  });

  it('rejects at once with the reason when the signal aborts, clearing its timer and listener', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal, clock);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(slept).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects without sleeping when the signal has already aborted', async () => {
    const clock = new ManualClock();
    await expect(sleep(10, AbortSignal.abort('gone'), clock)).rejects.toBe('gone');
    expect(clock.pendingTimers).toBe(0);
  });

  it('removes its abort listener when it completes', async () => {
    const clock = new ManualClock();
    const signal = new AbortController().signal;
    const slept = sleep(5, signal, clock);
    await clock.advance(5);
    await slept;
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});

describe('systemClock', () => {
  it('caps a delay at the longest one Node honours instead of firing after 1 ms', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const handle = systemClock.setTimeout(() => {}, 3_000_000_000);
    systemClock.clearTimeout(handle);
    expect(spy).toHaveBeenCalledWith(expect.any(Function), MAX_TIMER_DELAY_MS);
  });
});
