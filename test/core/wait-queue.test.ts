import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SignalScope } from '../../src/core/context';
import { WaitQueue } from '../../src/core/wait-queue';
import { ManualClock } from '../support/manual-clock';

describe('WaitQueue', () => {
  it('grants waiters in arrival order', async () => {
    const queue = new WaitQueue(new ManualClock());
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => queue.wait(undefined, undefined).then(() => order.push(n)));
    expect(queue.length).toBe(3);
    while (queue.grantNext());
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
    expect(queue.grantNext()).toBe(false);
  });

  it("removes a waiter at once when its caller aborts, rejecting with the caller's reason", async () => {
    const clock = new ManualClock();
    const queue = new WaitQueue(clock);
    const controller = new AbortController();
    const first = queue.wait(new SignalScope(controller.signal), 1_000);
    const second = queue.wait(undefined, undefined);
    controller.abort(new Error('gone'));
    await expect(first).rejects.toThrow('gone');
    expect(queue.length).toBe(1);
    expect(clock.pendingTimers).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    queue.grantNext();
    await second;
  });

  it('rejects with the timeout reason after timeoutMs and leaves the queue', async () => {
    const clock = new ManualClock();
    const queue = new WaitQueue(clock);
    const signal = new AbortController().signal;
    const waiting = queue.wait(new SignalScope(signal), 100, () => new Error('queue timeout'));
    const settled = expect(waiting).rejects.toThrow('queue timeout');
    await clock.advance(100);
    await settled;
    expect(queue.length).toBe(0);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once for an aborted scope or a budget already spent', async () => {
    const queue = new WaitQueue(new ManualClock());
    await expect(queue.wait(new SignalScope(AbortSignal.abort('early')), undefined)).rejects.toBe('early');
    await expect(queue.wait(undefined, 0, () => 'no time')).rejects.toBe('no time');
    expect(queue.length).toBe(0);
  });
});
