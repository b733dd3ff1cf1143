import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  Bulkhead,
  bus,
  setLogger,
  type BulkheadRejectedEvent,
  type BulwarkEventMap,
  type RetryEvent,
  type Unsubscribe,
} from '../../src/index';
import { EventHub } from '../../src/core/events';

afterEach(() => {
  bus.all.clear();
  setLogger();
});

/** A bulkhead that refuses every call with `queueFull` while `hold` runs. */
function fullBulkhead() {
  const bulkhead = new Bulkhead({ registry: false, maxInFlight: 1, maxQueue: 0 });
  let finish!: () => void;
  const held = bulkhead.execute(() => new Promise<void>((resolve) => (finish = resolve)));
  const refuse = () => bulkhead.execute(() => 'refused').catch(() => 'rejected');
  const release = async () => {
    finish();
    await held;
  };
  return { bulkhead, refuse, release };
}

describe('subscriptions', () => {
  it('on returns a function that removes the listener, once, leaving other subscriptions of the same handler', async () => {
    const { bulkhead, refuse, release } = fullBulkhead();
    const heard = vi.fn();
    const first = bulkhead.events.on('rejected', heard);
    bulkhead.events.on('rejected', heard);
    await refuse();
    expect(heard).toHaveBeenCalledTimes(2);
    first();
    first();
    await refuse();
    expect(heard).toHaveBeenCalledTimes(3);
    bulkhead.events.off('rejected', heard);
    await refuse();
    expect(heard).toHaveBeenCalledTimes(3);
    await release();
  });

  it('is disposed by using, on an instance and on the bus', async () => {
    const { bulkhead, refuse, release } = fullBulkhead();
    const local = vi.fn();
    const global = vi.fn();
    {
      using _local = bulkhead.events.on('rejected', local);
      using _global = bus.on('bulkhead:rejected', global);
      await refuse();
    }
    await refuse();
    expect(local).toHaveBeenCalledTimes(1);
    expect(global).toHaveBeenCalledTimes(1);
    await release();
  });

  it('once hears the next event only, on the instance, on the bus and with *', async () => {
    const { bulkhead, refuse, release } = fullBulkhead();
    const local = vi.fn();
    const global = vi.fn();
    const everything = vi.fn();
    bulkhead.events.once('rejected', local);
    bus.once('bulkhead:rejected', global);
    bus.once('*', everything);
    await refuse();
    await refuse();
    expect(local).toHaveBeenCalledTimes(1);
    expect(local).toHaveBeenCalledWith(expect.objectContaining({ type: 'rejected', reason: 'queueFull' }));
    expect(global).toHaveBeenCalledTimes(1);
    expect(everything).toHaveBeenCalledTimes(1);
    expect(everything).toHaveBeenCalledWith('bulkhead:rejected', expect.objectContaining({ reason: 'queueFull' }));
    expect(bulkhead.events.all.get('rejected')).toEqual([]);
    await release();
  });

  it('removes a once listener that throws, and logs its error', async () => {
    const errors = vi.fn();
    setLogger({ error: errors, warn: vi.fn(), info: vi.fn(), debug: vi.fn() });
    const { bulkhead, refuse, release } = fullBulkhead();
    const throwing = vi.fn(() => {
      throw new Error('listener bug');
    });
    bulkhead.events.once('rejected', throwing);
    expect(await refuse()).toBe('rejected');
    await refuse();
    expect(throwing).toHaveBeenCalledOnce();
    expect(errors).toHaveBeenCalledOnce();
    await release();
  });

  it('off removes a once subscription by its handler', async () => {
    const { bulkhead, refuse, release } = fullBulkhead();
    const heard = vi.fn();
    bulkhead.events.once('rejected', heard);
    bulkhead.events.off('rejected', heard);
    await refuse();
    expect(heard).not.toHaveBeenCalled();
    await release();
  });

  it('ends a subscription when its signal aborts, and subscribes nothing to an aborted signal', async () => {
    const { bulkhead, refuse, release } = fullBulkhead();
    const controller = new AbortController();
    const heard = vi.fn();
    bulkhead.events.on('rejected', heard, { signal: controller.signal });
    bus.on('*', heard, { signal: controller.signal });
    await refuse();
    expect(heard).toHaveBeenCalledTimes(2);
    controller.abort();
    await refuse();
    expect(heard).toHaveBeenCalledTimes(2);
    const unsubscribe = bulkhead.events.on('rejected', heard, { signal: controller.signal });
    await refuse();
    expect(heard).toHaveBeenCalledTimes(2);
    expect(() => unsubscribe()).not.toThrow();
    await release();
  });

  it('removes its abort listener however a signal subscription ends', async () => {
    const { bulkhead, refuse, release } = fullBulkhead();
    const { signal } = new AbortController();
    const handler = () => {};
    for (let i = 0; i < 1_000; i++) bulkhead.events.on('rejected', handler, { signal })();
    bulkhead.events.on('rejected', handler, { signal })[Symbol.dispose]();
    bulkhead.events.on('rejected', handler, { signal });
    bulkhead.events.off('rejected', handler);
    bulkhead.events.on('rejected', handler, { signal });
    bulkhead.events.off('rejected');
    bus.on('bulkhead:rejected', handler, { signal });
    bus.all.clear();
    bulkhead.events.once('rejected', handler, { signal });
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    await refuse();
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(bulkhead.events.all.get('rejected')).toEqual([]);
    await release();
  });

  it('builds no event once the last listener has unsubscribed', async () => {
    const emit = vi.spyOn(EventHub.prototype, 'emit');
    const { bulkhead, refuse, release } = fullBulkhead();
    const controller = new AbortController();
    const unsubscribe = bulkhead.events.on('rejected', () => {});
    bus.on('bulkhead:rejected', () => {}, { signal: controller.signal });
    await refuse();
    expect(emit).toHaveBeenCalledTimes(1);
    unsubscribe();
    controller.abort();
    await refuse();
    expect(emit).toHaveBeenCalledTimes(1);
    await release();
  });

  it('keeps the event maps exact', () => {
    const bulkhead = new Bulkhead({ registry: false });
    expectTypeOf(bulkhead.events.on('rejected', () => {})).toEqualTypeOf<Unsubscribe>();
    bulkhead.events.once('rejected', (event) => expectTypeOf(event).toEqualTypeOf<BulkheadRejectedEvent>());
    bus.on('retry:retry', (event) => expectTypeOf(event).toEqualTypeOf<RetryEvent>(), { signal: AbortSignal.abort() });
    bus.once('*', (type, event) => {
      expectTypeOf(type).toEqualTypeOf<keyof BulwarkEventMap>();
      expectTypeOf(event).toEqualTypeOf<BulwarkEventMap[keyof BulwarkEventMap]>();
    });
    // @ts-expect-error: not an event of a Bulkhead
    bulkhead.events.on('retry', () => {});
    // @ts-expect-error: a Bulkhead's rejected event has no attempt
    bulkhead.events.on('rejected', (event) => event.attempt);
    expect(bus.all.get('*')).toHaveLength(1);
  });
});
