import { describe, expect, it } from 'vitest';
import { CircuitBreaker, ConfigError, type CircuitBreakerOptions } from '../../src/index';
import { ManualClock } from '../support/manual-clock';
import { fail, outcome, succeed } from './support';

/** A breaker of the "next process": same clock, state restored from `snapshot` through JSON. */
function restored(clock: ManualClock, snapshot: unknown, options: CircuitBreakerOptions = {}) {
  const initialState = JSON.parse(JSON.stringify(snapshot)) as CircuitBreakerOptions['initialState'];
  const breaker = new CircuitBreaker({ registry: false, clock, failureThreshold: 1, recoveryTimeoutMs: 100, ...options, initialState });
  const transitions: string[] = [];
  breaker.events.on('stateChange', ({ to }) => transitions.push(to));
  return { breaker, transitions };
}

describe('CircuitBreaker state across a restart (toJSON / initialState)', () => {
  it('keeps an open circuit open until its recovery timeout ends, then probes', async () => {
    const clock = new ManualClock();
    const before = new CircuitBreaker({ registry: false, clock, failureThreshold: 1, recoveryTimeoutMs: 100 });
    await outcome(before, fail);
    expect(JSON.parse(JSON.stringify(before))).toEqual({ state: 'open', openUntil: clock.now() + 100, recoveryTimeoutMs: 100 });
    await clock.advance(40);
    const { breaker, transitions } = restored(clock, before);
    expect(breaker.state).toBe('open');
    expect(await breaker.execute(succeed).catch((e: unknown) => e)).toMatchObject({ code: 'CIRCUIT_OPEN', retryAfterMs: 60 });
    await clock.advance(60);
    expect(await outcome(breaker, succeed)).toBe('success');
    expect(breaker.state).toBe('closed');
    expect(transitions).toEqual(['half-open', 'closed']);
  });

  it('admits a probe at once when the snapshot’s open period ended while the process was down', async () => {
    const clock = new ManualClock();
    const { breaker } = restored(clock, { state: 'open', openUntil: clock.now() - 1 });
    expect(await outcome(breaker, fail)).toBe('failure');
    expect(breaker.state).toBe('open');
    expect(breaker.stats().nextProbeAt).toBe(clock.now() + 100);
  });

  it('carries the recovery timeout that recoveryBackoff has grown, within the options’ bounds', async () => {
    const clock = new ManualClock();
    const options: CircuitBreakerOptions = { recoveryBackoff: { multiplier: 2, maxMs: 1_000 } };
    const before = new CircuitBreaker({ registry: false, clock, failureThreshold: 1, recoveryTimeoutMs: 100, ...options });
    await outcome(before, fail);
    await clock.advance(100);
    await outcome(before, fail);
    expect(before.toJSON()).toMatchObject({ state: 'open', recoveryTimeoutMs: 200 });
    const { breaker } = restored(clock, before, options);
    await clock.advance(200);
    await outcome(breaker, fail);
    expect(breaker.toJSON()).toEqual({ state: 'open', openUntil: clock.now() + 400, recoveryTimeoutMs: 400 });
    expect(restored(clock, { state: 'closed', recoveryTimeoutMs: 5_000 }, options).breaker.toJSON().recoveryTimeoutMs).toBe(1_000);
    expect(restored(clock, { state: 'closed', recoveryTimeoutMs: 5_000 }).breaker.toJSON().recoveryTimeoutMs).toBe(100);
  });

  it('restores isolated, disabled and half-open as such', async () => {
    const clock = new ManualClock();
    const isolated = restored(clock, { state: 'isolated' }).breaker;
    expect(await isolated.execute(succeed).catch((e: unknown) => e)).toMatchObject({ reason: 'isolated' });
    const disabled = restored(clock, { state: 'disabled' }).breaker;
    for (let i = 0; i < 3; i++) expect(await outcome(disabled, fail)).toBe('failure');
    expect(disabled.state).toBe('disabled');
    const halfOpen = restored(clock, { state: 'half-open' }).breaker;
    expect(await outcome(halfOpen, succeed)).toBe('success');
    expect(halfOpen.state).toBe('closed');
  });

  it('refuses a snapshot that is not one, naming the field', () => {
    const clock = new ManualClock();
    expect(() => restored(clock, { state: 'ajar', openUntil: 'soon' })).toThrow(ConfigError);
    expect(() => restored(clock, { state: 'ajar', openUntil: 'soon' })).toThrow(/initialState\.state[\s\S]*initialState\.openUntil/);
  });
});
