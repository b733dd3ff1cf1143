/**
 * A logger, an `onException` or a listener that throws (or rejects) never changes what a call
 * returns, what it counts, or whether it throws.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Bulkhead,
  BulkheadRejectedError,
  CircuitBreaker,
  MemoryStore,
  RateLimiter,
  setLogger,
  type Logger,
  type RateLimitStore,
} from '../../src/index';
import { settled } from '../support/async';
import { ManualClock } from '../support/manual-clock';

const loggerBug = new Error('logger bug');
const callbackBug = new Error('onException bug');

/** A logger every method of which throws. */
const throwingLogger: Logger = {
  error: () => {
    throw loggerBug;
  },
  warn: () => {
    throw loggerBug;
  },
  info: () => {
    throw loggerBug;
  },
  debug: () => {
    throw loggerBug;
  },
};

const throwingOnException = (): never => {
  throw callbackBug;
};

beforeEach(() => {
  // The logger's failures are reported once per logger as a process warning; logger.test.ts checks it.
  vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
});
afterEach(() => setLogger());

describe('a throwing logger and onException', () => {
  it('leave a CircuitBreaker call with its own outcome, sync throw or rejection', async () => {
    setLogger(throwingLogger);
    const breaker = new CircuitBreaker({
      registry: false,
      clock: new ManualClock(),
      failureThreshold: 2,
      exceptions: { onException: throwingOnException },
    });
    breaker.events.on('stateChange', () => {
      throw new Error('listener bug');
    });
    const down = new Error('down');
    await expect(breaker.execute(() => Promise.reject(down))).rejects.toBe(down);
    await expect(
      breaker.execute(() => {
        throw down;
      }),
    ).rejects.toBe(down);
    expect(breaker.state).toBe('open');
    await expect(breaker.execute(() => 'not run')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
  });

  it('leave RateLimiter.consume resolving with the store decision, counted, across a store outage', async () => {
    setLogger(throwingLogger);
    const memory = new MemoryStore({ clock: new ManualClock() });
    let storeDown = true;
    const store: RateLimitStore = {
      consume: (key, cost, rule) => {
        if (storeDown) throw new Error('store down');
        return memory.consume(key, cost, rule);
      },
    };
    const limiter = new RateLimiter({ registry: false, limit: 5, windowMs: 1_000, store, onStoreError: 'allow' });
    let outage: Promise<unknown> | undefined;
    expect(() => (outage = limiter.consume('user'))).not.toThrow();
    await expect(outage).resolves.toMatchObject({ allowed: true });
    storeDown = false;
    let recovered: Promise<unknown> | undefined;
    expect(() => (recovered = limiter.consume('user'))).not.toThrow();
    await expect(recovered).resolves.toMatchObject({ allowed: true });
    expect(limiter.stats()).toMatchObject({ admitted: 2, storeErrors: 1, storeFailing: false });
  });

  it('leave a Bulkhead refusing with its own error, at once and after a queued call times out', async () => {
    setLogger(throwingLogger);
    const clock = new ManualClock();
    const bulkhead = new Bulkhead({
      registry: false,
      clock,
      maxInFlight: 1,
      maxQueue: 1,
      maxWaitMs: 100,
      exceptions: { onException: throwingOnException },
    });
    bulkhead.events.on('rejected', () => {
      throw new Error('listener bug');
    });
    let finish!: () => void;
    const running = bulkhead.execute(() => new Promise<void>((resolve) => (finish = resolve)));
    const queued = settled(bulkhead.execute(() => 'queued'));
    const full = settled(bulkhead.execute(() => 'full'));
    expect(await full).toEqual({ ok: false, error: expect.any(BulkheadRejectedError) });
    await clock.advance(100);
    expect(await queued).toEqual({ ok: false, error: expect.objectContaining({ reason: 'queueTimeout' }) });
    finish();
    await running;
    expect(bulkhead.stats()).toMatchObject({ inFlight: 0, queued: 0, rejectedByReason: { queueFull: 1, queueTimeout: 1 } });
    await expect(bulkhead.execute(() => 'later')).resolves.toBe('later');
  });
});

it('leaves a Bulkhead refusal unchanged when transform and the logger throw', async () => {
  const bulkhead = new Bulkhead({
    registry: false,
    maxInFlight: 1,
    maxQueue: 0,
    exceptions: {
      transform: () => {
        throw new Error('transform bug');
      },
    },
  });
  setLogger(throwingLogger);
  let finish!: () => void;
  const running = bulkhead.execute(() => new Promise<void>((resolve) => (finish = resolve)));
  await expect(bulkhead.execute(() => 'full')).rejects.toBeInstanceOf(BulkheadRejectedError);
  finish();
  await running;
});
