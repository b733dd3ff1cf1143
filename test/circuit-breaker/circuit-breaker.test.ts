import { describe, expect, it, vi } from 'vitest';
import { bus, CircuitBreaker, CircuitOpenError, CircuitState, ConfigError, isBulwarkError, Registry, RejectedError } from '../../src/index';
import { ManualClock } from '../support/manual-clock';
import { after, breakerOnClock, fail, outcome, succeed } from './support';

class NotFound extends Error {}
class Cancelled extends Error {}

describe('CircuitBreaker, consecutive mode', () => {
  it('opens after failureThreshold consecutive failures; a success resets the count', async () => {
    const { breaker, transitions } = breakerOnClock({ failureThreshold: 3 });
    for (const fn of [fail, fail, succeed, fail, fail]) await outcome(breaker, fn);
    expect(breaker.state).toBe(CircuitState.Closed);
    await outcome(breaker, fail);
    expect(breaker.state).toBe(CircuitState.Open);
    expect(transitions).toEqual([{ from: 'closed', to: 'open', reason: 'failureThreshold' }]);
  });

  it('defaults to 5 consecutive failures', async () => {
    const { breaker } = breakerOnClock();
    for (let i = 0; i < 4; i++) await outcome(breaker, fail);
    expect(breaker.state).toBe('closed');
    await outcome(breaker, fail);
    expect(breaker.state).toBe('open');
  });

  it("rejects at once while open with CircuitOpenError carrying the time left, without calling fn", async () => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 10_000 });
    await outcome(breaker, fail);
    await clock.advance(4_000);
    const fn = vi.fn(succeed);
    const error = await breaker.execute(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toBeInstanceOf(RejectedError);
    expect(isBulwarkError(error, 'CIRCUIT_OPEN')).toBe(true);
    expect(error).toMatchObject({ name: 'CircuitOpenError', retryAfterMs: 6_000, state: 'open', policyName: breaker.name });
    expect(String(error)).toContain('is open');
    await clock.advance(1_000);
    expect((error as CircuitOpenError).retryAfterMs).toBe(5_000);
  });

  it('admits a probe at the end of the recovery timeout without a timer firing late', async () => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 500 });
    await outcome(breaker, fail);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(499);
    expect(await outcome(breaker, succeed)).toBe('rejected');
    await clock.advance(1);
    expect(await outcome(breaker, succeed)).toBe('success');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('CircuitBreaker, count window', () => {
  it('evaluates the failure rate only once the window holds minimumCalls', async () => {
    const { breaker } = breakerOnClock({ window: { type: 'count', size: 10 }, minimumCalls: 4, failureRateThreshold: 0.5 });
    for (let i = 0; i < 3; i++) await outcome(breaker, fail);
    expect(breaker.state).toBe('closed');
    await outcome(breaker, fail);
    expect(breaker.state).toBe('open');
  });

  it('opens when the failure rate of the last size calls reaches the threshold', async () => {
    const { breaker, transitions } = breakerOnClock({ window: { type: 'count', size: 4 }, minimumCalls: 4, failureRateThreshold: 0.5 });
    for (const fn of [succeed, succeed, succeed, fail, succeed, succeed]) await outcome(breaker, fn);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats()).toMatchObject({ calls: 4, failures: 1, failureRate: 0.25 });
    await outcome(breaker, fail);
    expect(breaker.stats()).toMatchObject({ calls: 4, failures: 2 });
    expect(breaker.state).toBe('open');
    expect(transitions.at(-1)).toEqual({ from: 'closed', to: 'open', reason: 'failureRate' });
  });

  it('caps minimumCalls at the window size', async () => {
    const { breaker } = breakerOnClock({ window: { type: 'count', size: 2 }, minimumCalls: 100 });
    await outcome(breaker, fail);
    await outcome(breaker, fail);
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreaker, time window', () => {
  it('counts only the calls of the last durationMs', async () => {
    const { breaker, clock } = breakerOnClock({
      window: { type: 'time', durationMs: 10_000, buckets: 10 },
      minimumCalls: 4,
      failureRateThreshold: 0.75,
    });
    await outcome(breaker, fail);
    await outcome(breaker, fail);
    await clock.advance(5_000);
    await outcome(breaker, fail);
    expect(breaker.stats().calls).toBe(3);
    await clock.advance(6_000);
    expect(breaker.stats()).toMatchObject({ calls: 1, failures: 1 });
    await outcome(breaker, succeed);
    await outcome(breaker, fail);
    await outcome(breaker, fail);
    expect(breaker.state).toBe('open');
  });

  it('never counts a call longer than durationMs', async () => {
    const { breaker, clock } = breakerOnClock({ window: { type: 'time', durationMs: 1_000, buckets: 4 }, minimumCalls: 100 });
    await clock.advance(999);
    await outcome(breaker, fail);
    await clock.advance(1_000);
    expect(breaker.stats().calls).toBe(0);
  });

  it('forgets everything after a long idle spell', async () => {
    const { breaker, clock } = breakerOnClock({ window: { type: 'time', durationMs: 1_000 }, minimumCalls: 100 });
    for (let i = 0; i < 5; i++) await outcome(breaker, fail);
    await clock.advance(1_000_000);
    await outcome(breaker, succeed);
    expect(breaker.stats()).toMatchObject({ calls: 1, failures: 0 });
  });
});

describe('CircuitBreaker, slow calls', () => {
  it('opens on the slow-call rate, counting slow successes and slow failures', async () => {
    const { breaker, clock, transitions } = breakerOnClock({
      window: { type: 'count', size: 4 },
      minimumCalls: 4,
      failureRateThreshold: 1,
      slowCallDurationMs: 100,
      slowCallRateThreshold: 0.5,
    });
    const run = (fn: () => Promise<unknown>) => {
      const settled = outcome(breaker, fn);
      return clock.advance(1_000).then(() => settled);
    };
    await run(after(clock, 50));
    await run(after(clock, 150));
    await run(after(clock, 10));
    expect(breaker.state).toBe('closed');
    await run(after(clock, 500, undefined, new Error('slow failure')));
    expect(breaker.stats()).toMatchObject({ slowCalls: 2, slowCallRate: 0.5, failures: 1 });
    expect(transitions).toEqual([{ from: 'closed', to: 'open', reason: 'slowCallRate' }]);
  });
});

describe('CircuitBreaker, what counts', () => {
  it('counts ignored errors neither way and unhandled errors as successes', async () => {
    const { breaker } = breakerOnClock({ failureThreshold: 2, exceptions: { handle: [TypeError], ignore: [Cancelled] } });
    await outcome(breaker, () => Promise.reject(new TypeError('bad gateway')));
    await outcome(breaker, () => Promise.reject(new Cancelled()));
    expect(breaker.stats().consecutiveFailures).toBe(1);
    await outcome(breaker, () => Promise.reject(new NotFound()));
    expect(breaker.stats().consecutiveFailures).toBe(0);
    expect(breaker.stats().totals).toMatchObject({ calls: 2, failures: 1, successes: 1, ignored: 1 });
  });

  it('counts a call the caller aborted neither way', async () => {
    const { breaker } = breakerOnClock({ failureThreshold: 1 });
    const controller = new AbortController();
    const result = breaker.execute(
      ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { signal: controller.signal },
    );
    controller.abort(new Error('user left'));
    await expect(result).rejects.toThrow('user left');
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().totals.ignored).toBe(1);
  });

  it('turns results into failures with isFailureResult', async () => {
    const { breaker } = breakerOnClock({ failureThreshold: 2, isFailureResult: (r) => (r as { status: number }).status >= 500 });
    await expect(breaker.execute(async () => ({ status: 503 }))).resolves.toEqual({ status: 503 });
    await breaker.execute(async () => ({ status: 502 }));
    expect(breaker.state).toBe('open');
  });

  it('counts a synchronous throw and a synchronous result', async () => {
    const { breaker } = breakerOnClock({ failureThreshold: 1 });
    await expect(breaker.execute(() => 5)).resolves.toBe(5);
    await expect(
      breaker.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(breaker.state).toBe('open');
  });

  it("passes fn's own errors through unchanged", async () => {
    const { breaker } = breakerOnClock();
    const error = new Error('own');
    await expect(breaker.execute(() => Promise.reject(error))).rejects.toBe(error);
  });
});

describe('CircuitBreaker, half-open', () => {
  it('moves to half-open after recoveryTimeoutMs and closes after successThreshold successful probes', async () => {
    const { breaker, clock, transitions } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 1_000, successThreshold: 2 });
    await outcome(breaker, fail);
    await clock.advance(999);
    expect(await outcome(breaker, succeed)).toBe('rejected');
    await clock.advance(1);
    expect(breaker.state).toBe('open');
    expect(await outcome(breaker, succeed)).toBe('success');
    expect(breaker.state).toBe('half-open');
    expect(await outcome(breaker, succeed)).toBe('success');
    expect(breaker.state).toBe('closed');
    expect(transitions.map((t) => t.reason)).toEqual(['failureThreshold', 'recoveryTimeout', 'probeSucceeded']);
  });

  it('clears the window when it closes', async () => {
    const { breaker, clock } = breakerOnClock({ window: { type: 'count', size: 10 }, minimumCalls: 2, recoveryTimeoutMs: 10 });
    await outcome(breaker, fail);
    await outcome(breaker, fail);
    await clock.advance(10);
    await outcome(breaker, succeed);
    expect(breaker.stats()).toMatchObject({ state: 'closed', calls: 0, failures: 0 });
  });

  it('re-opens on a failed probe, waiting longer each time with recoveryBackoff, reset on close', async () => {
    const { breaker, clock } = breakerOnClock({
      failureThreshold: 1,
      recoveryTimeoutMs: 1_000,
      recoveryBackoff: { multiplier: 2, maxMs: 3_000 },
    });
    await outcome(breaker, fail);
    const opened: number[] = [];
    for (let i = 0; i < 3; i++) {
      const nextProbeAt = breaker.stats().nextProbeAt as number;
      opened.push(nextProbeAt - clock.now());
      await clock.advance(nextProbeAt - clock.now());
      expect(await outcome(breaker, fail)).toBe('failure');
    }
    opened.push((breaker.stats().nextProbeAt as number) - clock.now());
    expect(opened).toEqual([1_000, 2_000, 3_000, 3_000]);
    await clock.advance(3_000);
    await outcome(breaker, succeed);
    await outcome(breaker, fail);
    expect((breaker.stats().nextProbeAt as number) - clock.now()).toBe(1_000);
  });

  it('re-opens on a slow successful probe without reporting it as a failure', async () => {
    const onException = vi.fn();
    const { breaker, clock, transitions } = breakerOnClock({
      window: { type: 'count', size: 2 },
      minimumCalls: 1,
      slowCallDurationMs: 10,
      recoveryTimeoutMs: 100,
      exceptions: { onException },
    });
    await outcome(breaker, fail);
    onException.mockClear();
    await clock.advance(100);
    const probe = outcome(breaker, after(clock, 50));
    await clock.advance(50);
    expect(await probe).toBe('success');
    expect(transitions.at(-1)).toEqual({ from: 'half-open', to: 'open', reason: 'probeFailed' });
    expect(onException).not.toHaveBeenCalled();
  });

  it('rejects calls beyond halfOpenMaxCalls while probes run', async () => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 100, halfOpenMaxCalls: 2 });
    await outcome(breaker, fail);
    await clock.advance(100);
    const probes = [outcome(breaker, after(clock, 50)), outcome(breaker, after(clock, 50))];
    const third = await breaker.execute(succeed).catch((e: unknown) => e);
    expect(third).toMatchObject({ code: 'CIRCUIT_OPEN', state: 'half-open' });
    await clock.advance(50);
    expect(await Promise.all(probes)).toEqual(['success', 'success']);
    expect(breaker.state).toBe('closed');
  });

  it('does not wedge on a probe that never settles: it counts as failed after maxHalfOpenWaitMs', async () => {
    const { breaker, clock, transitions } = breakerOnClock({
      failureThreshold: 1,
      recoveryTimeoutMs: 100,
      maxHalfOpenWaitMs: 500,
    });
    await outcome(breaker, fail);
    await clock.advance(100);
    let settleHungProbe: (() => void) | undefined;
    const hung = breaker.execute(() => new Promise<void>((resolve) => (settleHungProbe = resolve)));
    await clock.advance(499);
    expect(await outcome(breaker, succeed)).toBe('rejected');
    await clock.advance(1);
    expect(await outcome(breaker, succeed)).toBe('rejected');
    expect(breaker.state).toBe('open');
    expect(transitions.at(-1)?.reason).toBe('probeTimedOut');
    await clock.advance(100);
    expect(await outcome(breaker, succeed)).toBe('success');
    expect(breaker.state).toBe('closed');
    settleHungProbe?.();
    await hung;
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().totals).toMatchObject({ failures: 2, successes: 1 });
  });

  it('re-opens at maxHalfOpenWaitMs when a probe never settles, without waiting for another call', async () => {
    const registry = new Registry();
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({ registry, clock, failureThreshold: 1, recoveryTimeoutMs: 30, maxHalfOpenWaitMs: 60 });
    const start = clock.now();
    await outcome(breaker, fail);
    await clock.advance(50);
    void breaker.execute(() => new Promise<never>(() => {}));
    expect(breaker.state).toBe('half-open');
    await clock.advance(150);
    expect(breaker.state).toBe('open');
    expect(breaker.stats()).toMatchObject({ state: 'open', nextProbeAt: start + 110 + 30 });
    expect(registry.health().instances[breaker.name]).toMatchObject({ state: 'open', healthy: false });
    await clock.advance(60);
    let probed = false;
    await breaker.execute(() => {
      probed = true;
      return 'ok';
    });
    expect(probed).toBe(true);
    expect(breaker.state).toBe('closed');
  });

  it('moves to half-open by an unref-ed timer with autoHalfOpen', async () => {
    vi.useFakeTimers();
    try {
      const { CircuitBreaker } = await import('../../src/index');
      const breaker = new CircuitBreaker({ registry: false, failureThreshold: 1, recoveryTimeoutMs: 1_000, autoHalfOpen: true });
      await breaker.execute(fail).catch(() => {});
      expect(breaker.state).toBe('open');
      await vi.advanceTimersByTimeAsync(1_000);
      expect(breaker.state).toBe('half-open');
      expect(vi.getTimerCount()).toBe(0);
      breaker.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('CircuitBreaker, late results', () => {
  it('records a result that settles after a transition without a second open transition', async () => {
    const { breaker, clock, transitions } = breakerOnClock({ failureThreshold: 2, recoveryTimeoutMs: 1_000 });
    const slowFailures = [outcome(breaker, after(clock, 100, undefined, new Error('a'))), outcome(breaker, after(clock, 100, undefined, new Error('b')))];
    const lateFailure = outcome(breaker, after(clock, 200, undefined, new Error('late')));
    await clock.advance(100);
    await Promise.all(slowFailures);
    expect(breaker.state).toBe('open');
    await clock.advance(100);
    await lateFailure;
    expect(transitions).toHaveLength(1);
    expect(breaker.stats().totals).toMatchObject({ lateResults: 1, failures: 3 });
  });

  it('never lets a late result free a half-open slot or close the circuit', async () => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 100, halfOpenMaxCalls: 1, maxHalfOpenWaitMs: 1_000 });
    const startedClosed = outcome(breaker, after(clock, 150));
    await outcome(breaker, fail);
    await clock.advance(100);
    const probe = outcome(breaker, after(clock, 200));
    await clock.advance(50);
    expect(await startedClosed).toBe('success');
    expect(breaker.state).toBe('half-open');
    expect(await outcome(breaker, succeed)).toBe('rejected');
    await clock.advance(150);
    await probe;
    expect(breaker.state).toBe('closed');
  });
});

describe('CircuitBreaker, manual operations', () => {
  it('isolate() holds it open until reset(); disable() lets everything through while recording', async () => {
    const { breaker, transitions } = breakerOnClock({ failureThreshold: 1 });
    breaker.isolate();
    const rejection = await breaker.execute(succeed).catch((e: unknown) => e);
    expect(rejection).toMatchObject({ state: 'isolated', retryAfterMs: Number.POSITIVE_INFINITY });
    breaker.reset();
    expect(breaker.state).toBe('closed');
    breaker.disable();
    for (let i = 0; i < 5; i++) expect(await outcome(breaker, fail)).toBe('failure');
    expect(breaker.state).toBe('disabled');
    expect(breaker.stats().totals.failures).toBe(5);
    breaker.reset();
    expect(breaker.stats()).toMatchObject({ state: 'closed', calls: 0, consecutiveFailures: 0 });
    expect(transitions.map((t) => `${t.from}>${t.to}:${t.reason}`)).toEqual([
      'closed>isolated:isolated',
      'isolated>closed:reset',
      'closed>disabled:disabled',
      'disabled>closed:reset',
    ]);
  });
});

describe('CircuitBreaker, events and exceptions', () => {
  it('emits success, failure and rejected events with their fields', async () => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, name: 'payments' });
    const seen: string[] = [];
    breaker.events.on('*', (type, event) => seen.push(`${type}:${(event as { state?: string }).state}`));
    await outcome(breaker, succeed);
    await outcome(breaker, fail);
    await outcome(breaker, succeed);
    expect(seen).toEqual(['success:closed', 'failure:closed', 'stateChange:undefined', 'rejected:open']);
    expect(clock.pendingTimers).toBe(1);
    breaker.dispose();
    expect(clock.pendingTimers).toBe(0);
  });

  it('times and announces calls from the first one after a success or failure listener comes, on the breaker or the bus, and stops when it goes', async () => {
    const { breaker } = breakerOnClock();
    await outcome(breaker, succeed);
    const seen: string[] = [];
    const own = breaker.events.on('success', (event) => seen.push(`own:${event.type}`));
    await outcome(breaker, succeed);
    own();
    await outcome(breaker, succeed);
    const onBus = bus.on('circuitBreaker:failure', (event) => seen.push(`bus:${event.type}`));
    await outcome(breaker, fail);
    onBus();
    await outcome(breaker, fail);
    expect(seen).toEqual(['own:success', 'bus:failure']);
    expect(breaker.stats().totals).toMatchObject({ calls: 5, successes: 3, failures: 2 });
  });

  it('tells onException thresholdExceeded for the tripping failure, callFailed for others, circuitOpen for rejections', async () => {
    const reasons: string[] = [];
    const { breaker } = breakerOnClock({ failureThreshold: 2, exceptions: { onException: (ctx) => void reasons.push(ctx.reason) } });
    await outcome(breaker, fail);
    await outcome(breaker, fail);
    await outcome(breaker, succeed);
    expect(reasons).toEqual(['callFailed', 'thresholdExceeded', 'circuitOpen']);
  });

  it('applies transform to its rejections', async () => {
    const { breaker } = breakerOnClock({ failureThreshold: 1, exceptions: { transform: () => new Error('service unavailable') } });
    await outcome(breaker, fail);
    await expect(breaker.execute(succeed)).rejects.toThrow('service unavailable');
  });

  it('captures a stack for rejections only when asked', async () => {
    const { breaker } = breakerOnClock({ failureThreshold: 1 });
    await outcome(breaker, fail);
    const cheap = (await breaker.execute(succeed).catch((e: unknown) => e)) as Error;
    expect(cheap.stack).toContain('no stack trace');
    const traced = breakerOnClock({ failureThreshold: 1, captureRejectionStacks: true }).breaker;
    await outcome(traced, fail);
    const full = (await traced.execute(succeed).catch((e: unknown) => e)) as Error;
    expect(full).toBeInstanceOf(CircuitOpenError);
    expect(full.stack).toContain('circuit-breaker.test.ts');
  });
});

describe('CircuitBreaker options', () => {
  it('rejects window-mode options without a window, and failureThreshold with one', () => {
    expect(() => breakerOnClock({ failureRateThreshold: 0.2, slowCallDurationMs: 10 })).toThrow(
      /failureRateThreshold: applies in window mode only[\s\S]*slowCallDurationMs: applies in window mode only/,
    );
    expect(() => breakerOnClock({ window: { type: 'count', size: 5 }, failureThreshold: 3 })).toThrow(/failureThreshold: applies in consecutive mode only/);
  });

  it('refuses a recovery backoff cap below the recovery timeout', () => {
    expect(() => breakerOnClock({ recoveryTimeoutMs: 1_000, recoveryBackoff: { multiplier: 2, maxMs: 500 } })).toThrow(
      /recoveryBackoff\.maxMs: must be ≥ recoveryTimeoutMs \(1000\), got 500/,
    );
  });

  it('names every bad field', () => {
    try {
      breakerOnClock({ window: { type: 'time', durationMs: -1 }, halfOpenMaxCalls: 0, failureRateThreshold: 1.5, recoveryTimeoutMs: 'soon' as never });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.path).sort()).toEqual(
        ['failureRateThreshold', 'halfOpenMaxCalls', 'recoveryTimeoutMs', 'window.durationMs'].sort(),
      );
    }
  });
});

describe('CircuitBreaker in compositions', () => {
  it("counts an inner policy's refusal neither way: the dependency was never called", async () => {
    const { Bulkhead, compose } = await import('../../src/index');
    const { breaker } = breakerOnClock({ failureThreshold: 2 });
    const bulkhead = new Bulkhead({ maxInFlight: 1, registry: false });
    const pipeline = compose(breaker, bulkhead);
    let release: (() => void) | undefined;
    const holding = pipeline.execute(() => new Promise<void>((resolve) => (release = resolve)));
    for (let i = 0; i < 5; i++) {
      await expect(pipeline.execute(() => 'never runs')).rejects.toMatchObject({ code: 'BULKHEAD_REJECTED' });
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().totals.ignored).toBe(5);
    release?.();
    await holding;
  });

  it('frees a probe whose error makes a handle predicate throw', async () => {
    const { breaker, clock } = breakerOnClock({
      failureThreshold: 1,
      recoveryTimeoutMs: 100,
      exceptions: { handle: (e) => (e as { code: string }).code === 'ECONNRESET' },
    });
    await outcome(breaker, () => Promise.reject(null));
    expect(breaker.state).toBe('open');
    await clock.advance(100);
    expect(await outcome(breaker, () => Promise.reject(undefined))).toBe('failure');
    expect(breaker.state).toBe('open');
    await clock.advance(100);
    expect(await outcome(breaker, succeed)).toBe('success');
    expect(breaker.state).toBe('closed');
  });

  it('clears its timers on await using, as dispose() does', async () => {
    const { breaker, clock } = breakerOnClock({ window: { type: 'time', durationMs: 1_000 }, minimumCalls: 1, recoveryTimeoutMs: 100 });
    await outcome(breaker, fail);
    expect(breaker.state).toBe('open');
    expect(clock.pendingTimers).toBeGreaterThan(0);
    {
      await using _scoped = breaker;
    }
    expect(clock.pendingTimers).toBe(0);
  });

  it('still recovers after dispose() cleared its recovery timer', async () => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    await outcome(breaker, fail);
    breaker.dispose();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(100);
    expect(await outcome(breaker, succeed)).toBe('success');
    expect(breaker.state).toBe('closed');
  });
});

describe('CircuitBreaker refusals', () => {
  it('says why it refused, in the error and in the rejected event: circuitOpen, halfOpenFull, isolated', async () => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 100, maxHalfOpenWaitMs: 300 });
    const events: Array<{ reason: string; state: string; retryAfterMs: number }> = [];
    breaker.events.on('rejected', ({ reason, state, retryAfterMs }) => events.push({ reason, state, retryAfterMs }));
    await outcome(breaker, fail);
    await clock.advance(40);
    const open = await breaker.execute(succeed).catch((e: unknown) => e);
    expect(open).toMatchObject({ reason: 'circuitOpen', state: 'open', retryAfterMs: 60 });
    await clock.advance(60);
    const probe = outcome(breaker, after(clock, 200));
    await clock.advance(50);
    const full = await breaker.execute(succeed).catch((e: unknown) => e);
    await clock.advance(150);
    await probe;
    breaker.isolate();
    const isolated = await breaker.execute(succeed).catch((e: unknown) => e);
    expect(full).toMatchObject({ reason: 'halfOpenFull', state: 'half-open', retryAfterMs: 250 });
    expect(isolated).toMatchObject({ reason: 'isolated', state: 'isolated', retryAfterMs: Number.POSITIVE_INFINITY });
    for (const error of [open, full, isolated]) expect(error).toBeInstanceOf(CircuitOpenError);
    expect(String(full)).toContain('is half-open');
    expect(events).toEqual([
      { reason: 'circuitOpen', state: 'open', retryAfterMs: 60 },
      { reason: 'halfOpenFull', state: 'half-open', retryAfterMs: 250 },
      { reason: 'isolated', state: 'isolated', retryAfterMs: Number.POSITIVE_INFINITY },
    ]);
    expect(breaker.stats()).toMatchObject({ rejected: 3, rejectedByReason: { circuitOpen: 1, halfOpenFull: 1, isolated: 1 } });
  });

  it('gives the same reason with captureRejectionStacks, and a retryAfterMs fixed when the error was made', async () => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 100, captureRejectionStacks: true });
    await outcome(breaker, fail);
    await clock.advance(30);
    const error = (await breaker.execute(succeed).catch((e: unknown) => e)) as CircuitOpenError;
    expect(error).toMatchObject({ reason: 'circuitOpen', state: 'open', retryAfterMs: 70 });
    await clock.advance(20);
    expect(error.retryAfterMs).toBe(70);
  });

  it("reads an open error's retryAfterMs live: the time until the breaker next admits a probe", async () => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    await outcome(breaker, fail);
    const error = (await breaker.execute(succeed).catch((e: unknown) => e)) as CircuitOpenError;
    expect(error.retryAfterMs).toBe(100);
    await clock.advance(100);
    expect(error.retryAfterMs).toBe(0);
    expect(await outcome(breaker, fail)).toBe('failure');
    expect(breaker.state).toBe('open');
    expect(error.retryAfterMs).toBe(100);
    await clock.advance(100);
    await outcome(breaker, succeed);
    expect(breaker.state).toBe('closed');
    expect(error.retryAfterMs).toBe(0);
  });

  it('makes the errors of successive open periods share one prototype and carry no own properties', async () => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    await outcome(breaker, fail);
    const first = await breaker.execute(succeed).catch((e: unknown) => e);
    await clock.advance(100);
    await outcome(breaker, succeed);
    await outcome(breaker, fail);
    expect(breaker.state).toBe('open');
    const second = await breaker.execute(succeed).catch((e: unknown) => e);
    expect(second).not.toBe(first);
    expect(Object.getPrototypeOf(second)).toBe(Object.getPrototypeOf(first));
    expect(Object.getOwnPropertyNames(second)).toEqual([]);
    expect(second).toMatchObject({ reason: 'circuitOpen', retryAfterMs: 100 });
  });

  it('refuses a call whose signal has already aborted with its reason, even while open, without counting it', async () => {
    const { breaker } = breakerOnClock({ failureThreshold: 1 });
    await outcome(breaker, fail);
    const reason = new Error('caller gave up');
    await expect(breaker.execute(succeed, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(breaker.stats().rejected).toBe(0);
  });

  it('tells onException circuitOpen with the reason, state and retryAfterMs as metadata', async () => {
    const onException = vi.fn();
    const { breaker } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 100, exceptions: { onException } });
    await outcome(breaker, fail);
    onException.mockClear();
    await outcome(breaker, succeed);
    expect(onException).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'circuitOpen', metadata: { reason: 'circuitOpen', state: 'open', retryAfterMs: 100 } }),
    );
  });
});

describe('CircuitBreaker health', () => {
  it('is healthy when closed or disabled, and unhealthy when open, half-open or isolated', async () => {
    const { breaker, clock } = breakerOnClock({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    const health = () => breaker.health();
    expect(health()).toEqual({ state: 'closed', healthy: true });
    await outcome(breaker, fail);
    expect(health()).toEqual({ state: 'open', healthy: false });
    await clock.advance(100);
    const probe = outcome(breaker, after(clock, 10));
    expect(health()).toEqual({ state: 'half-open', healthy: false });
    await clock.advance(10);
    await probe;
    expect(health()).toEqual({ state: 'closed', healthy: true });
    breaker.isolate();
    expect(health()).toEqual({ state: 'isolated', healthy: false });
    breaker.disable();
    expect(health()).toEqual({ state: 'disabled', healthy: true });
  });

  it('makes the registry report degraded while open', async () => {
    const { CircuitBreaker, Registry } = await import('../../src/index');
    const registry = new Registry();
    const breaker = new CircuitBreaker({ name: 'db', registry, failureThreshold: 1 });
    expect(registry.health().status).toBe('ok');
    await outcome(breaker, fail);
    expect(registry.health()).toMatchObject({ status: 'degraded', instances: { db: { state: 'open', healthy: false } } });
  });
});
