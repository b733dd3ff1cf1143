import { afterEach, describe, expect, it, vi } from 'vitest';
import { bus, Retry, setLogger, Timeout, type Logger } from '../../src/index';
import { EventHub } from '../../src/core/events';

afterEach(() => {
  bus.all.clear();
  setLogger();
});

function capturingLogger(): Logger & { errors: Array<[object, string | undefined]> } {
  const errors: Array<[object, string | undefined]> = [];
  const noop = () => {};
  return { errors, error: (object, message) => errors.push([object, message]), warn: noop, info: noop, debug: noop };
}

describe('events', () => {
  it('publishes every instance event on the bus as patternType:eventName and on *', async () => {
    const retry = new Retry({ maxAttempts: 2, initialDelayMs: 0, name: 'bus-retry' });
    const typed = vi.fn();
    const everything = vi.fn();
    bus.on('retry:retry', typed);
    bus.on('*', everything);
    let calls = 0;
    await retry.execute(() => {
      if (calls++ === 0) throw new Error('once');
      return 'ok';
    });
    expect(typed).toHaveBeenCalledWith(expect.objectContaining({ type: 'retry', patternName: 'bus-retry', attempt: 1 }));
    expect(everything.mock.calls.map(([type]) => type)).toEqual(['retry:retry', 'retry:success']);
  });

  it('delivers instance events to a * listener on the instance', async () => {
    const retry = new Retry();
    const seen: unknown[] = [];
    retry.events.on('*', (type) => seen.push(type));
    await retry.execute(() => 1);
    expect(seen).toEqual(['success']);
  });

  it('logs a throwing listener and still calls the others, leaving the outcome alone', async () => {
    const logger = capturingLogger();
    setLogger(logger);
    const retry = new Retry({ maxAttempts: 2, initialDelayMs: 0 });
    const after = vi.fn();
    retry.events.on('retry', () => {
      throw new Error('listener bug');
    });
    retry.events.on('retry', after);
    bus.on('*', () => {
      throw new Error('bus listener bug');
    });
    let calls = 0;
    await expect(
      retry.execute(() => {
        if (calls++ === 0) throw new Error('once');
        return 'ok';
      }),
    ).resolves.toBe('ok');
    expect(after).toHaveBeenCalledTimes(1);
    expect(logger.errors.length).toBeGreaterThanOrEqual(2);
    expect(logger.errors[0]?.[0]).toMatchObject({ event: 'retry' });
  });

  it('builds no event object when nobody listens, and one per event when someone does', async () => {
    const emit = vi.spyOn(EventHub.prototype, 'emit');
    const clock = { now: vi.fn(() => Date.now()), setTimeout, clearTimeout, sleep: async () => {} };
    const retry = new Retry({ clock: clock as never });
    const timeout = new Timeout({ timeoutMs: 1_000 });
    for (let i = 0; i < 1_000; i++) await retry.execute(() => i);
    for (let i = 0; i < 1_000; i++) await timeout.execute(async () => i);
    expect(emit).not.toHaveBeenCalled();
    expect(clock.now).not.toHaveBeenCalled();

    const listener = vi.fn();
    retry.events.on('success', listener);
    for (let i = 0; i < 10; i++) await retry.execute(() => i);
    expect(emit).toHaveBeenCalledTimes(10);
    expect(listener).toHaveBeenCalledTimes(10);

    retry.events.off('success', listener);
    await retry.execute(() => 1);
    expect(emit).toHaveBeenCalledTimes(10);
  });

  it('notices a bus listener added after the instance was created', async () => {
    const retry = new Retry();
    await retry.execute(() => 1);
    const late = vi.fn();
    bus.on('retry:success', late);
    await retry.execute(() => 2);
    expect(late).toHaveBeenCalledTimes(1);
  });
});

it('notices listeners removed by clearing the handler map directly', async () => {
  const emit = vi.spyOn(EventHub.prototype, 'emit');
  const retry = new Retry();
  bus.on('retry:success', () => {});
  await retry.execute(() => 1);
  expect(emit).toHaveBeenCalledTimes(1);
  bus.all.clear();
  await retry.execute(() => 2);
  expect(emit).toHaveBeenCalledTimes(1);
});

it('logs an async listener that rejects, without an unhandled rejection', async () => {
  const logger = capturingLogger();
  setLogger(logger);
  const unhandled = vi.fn();
  process.on('unhandledRejection', unhandled);
  try {
    const retry = new Retry();
    retry.events.on('success', async () => {
      throw new Error('async listener bug');
    });
    await expect(retry.execute(() => 42)).resolves.toBe(42);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(unhandled).not.toHaveBeenCalled();
    expect(logger.errors[0]?.[0]).toMatchObject({ event: 'success' });
  } finally {
    process.off('unhandledRejection', unhandled);
  }
});
