import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { Bulkhead, CircuitBreaker, type BulwarkEvent } from '../../src/index';
import { ManualClock } from '../support/manual-clock';

const ok = async (): Promise<number> => 1;
let stop: (() => void) | undefined;
afterEach(() => stop?.());

/** Subscribes `handler` to `name` until the end of the test. */
function listen(name: string, handler: (message: unknown) => void): void {
  subscribe(name, handler);
  stop = () => unsubscribe(name, handler);
}

/** A clock that counts its readings: a breaker reads it for events only when someone listens. */
class CountingClock extends ManualClock {
  readings = 0;
  override now(): number {
    this.readings++;
    return super.now();
  }
}

describe('diagnostics_channel', () => {
  it('publishes every event of a pattern on bulwark:<patternType>, the same object as the bus gets', async () => {
    const received: BulwarkEvent[] = [];
    listen('bulwark:circuitBreaker', (message) => received.push(message as BulwarkEvent));
    const breaker = new CircuitBreaker({ name: 'dc-breaker', failureThreshold: 1, registry: false });
    await breaker.execute(ok);
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    await breaker.execute(ok).catch(() => {});
    expect(received.map((e) => `${e.patternName}:${e.type}`)).toEqual([
      'dc-breaker:success',
      'dc-breaker:failure',
      'dc-breaker:stateChange',
      'dc-breaker:rejected',
    ]);
    expect(received[0]).toMatchObject({ patternType: 'circuitBreaker', state: 'closed' });
  });

  it('publishes only on the channel of the pattern type', async () => {
    const received: unknown[] = [];
    listen('bulwark:bulkhead', (message) => received.push(message));
    await new CircuitBreaker({ name: 'dc-quiet', registry: false }).execute(ok);
    const bulkhead = new Bulkhead({ name: 'dc-bulkhead', maxInFlight: 1, registry: false });
    const held = bulkhead.execute(() => new Promise((resolve) => setImmediate(resolve)));
    await bulkhead.execute(ok).catch(() => {});
    await held;
    expect(received).toMatchObject([{ type: 'rejected', reason: 'queueFull', patternName: 'dc-bulkhead' }]);
  });

  it('builds and times nothing for a channel without subscribers', async () => {
    const clock = new CountingClock();
    const breaker = new CircuitBreaker({ name: 'dc-cost', clock, registry: false });
    await breaker.execute(ok);
    const quiet = clock.readings;
    clock.readings = 0;
    listen('bulwark:circuitBreaker', () => {});
    await breaker.execute(ok);
    expect(clock.readings).toBeGreaterThan(quiet);
    stop?.();
    stop = undefined;
    clock.readings = 0;
    await breaker.execute(ok);
    expect(clock.readings).toBe(quiet);
  });
});
