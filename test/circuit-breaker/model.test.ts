/**
 * Model-based test: random sequences of calls (successes, failures, slow calls), clock advances
 * and manual operations, run against a real CircuitBreaker and against a small reference model
 * of its state machine written here; after every step both must agree on the state and on what
 * the caller saw.
 */
import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from '../../src/index';
import { ManualClock } from '../support/manual-clock';

interface Config {
  readonly mode: { kind: 'consecutive'; failureThreshold: number } | {
    kind: 'count';
    size: number;
    minimumCalls: number;
    failureRateThreshold: number;
    slowCallDurationMs: number;
    slowCallRateThreshold: number;
  };
  readonly recoveryTimeoutMs: number;
  readonly successThreshold: number;
  readonly backoff: { multiplier: number; maxMs: number } | undefined;
}

/** The reference model: the rules of the state machine, as plainly as possible. */
class Model {
  state: CircuitState = 'closed';
  consecutiveFailures = 0;
  window: Array<{ failure: boolean; slow: boolean }> = [];
  openUntil = 0;
  recoveryMs: number;
  probeSuccesses = 0;

  constructor(readonly config: Config) {
    this.recoveryMs = config.recoveryTimeoutMs;
  }

  /** A call arriving at `start` and taking `durationMs`; returns what the caller sees. */
  call(start: number, durationMs: number, fails: boolean): 'success' | 'failure' | 'rejected' {
    if (this.state === 'isolated') return 'rejected';
    if (this.state === 'open') {
      if (start < this.openUntil) return 'rejected';
      this.state = 'half-open';
      this.probeSuccesses = 0;
    }
    const end = start + durationMs;
    const mode = this.config.mode;
    const slow = mode.kind === 'count' && durationMs > mode.slowCallDurationMs;
    if (this.state === 'half-open') {
      if (fails || slow) this.open(end, true);
      else if (++this.probeSuccesses >= this.config.successThreshold) this.close();
    } else if (this.record(fails, slow) && this.state === 'closed') {
      this.open(end, false);
    }
    return fails ? 'failure' : 'success';
  }

  /** Records an outcome in closed or disabled state; true when the trip rule fires. */
  record(failure: boolean, slow: boolean): boolean {
    const mode = this.config.mode;
    this.consecutiveFailures = failure ? this.consecutiveFailures + 1 : 0;
    if (mode.kind === 'consecutive') return this.consecutiveFailures >= mode.failureThreshold;
    this.window.push({ failure, slow });
    if (this.window.length > mode.size) this.window.shift();
    const calls = this.window.length;
    if (calls < Math.min(mode.minimumCalls, mode.size)) return false;
    const failures = this.window.filter((c) => c.failure).length;
    const slowCalls = this.window.filter((c) => c.slow).length;
    return failures >= mode.failureRateThreshold * calls || slowCalls >= mode.slowCallRateThreshold * calls;
  }

  open(now: number, fromHalfOpen: boolean): void {
    if (fromHalfOpen && this.config.backoff) {
      this.recoveryMs = Math.min(this.recoveryMs * this.config.backoff.multiplier, this.config.backoff.maxMs);
    }
    this.state = 'open';
    this.openUntil = now + this.recoveryMs;
  }

  close(): void {
    this.state = 'closed';
    this.window = [];
    this.consecutiveFailures = 0;
    this.recoveryMs = this.config.recoveryTimeoutMs;
  }

  reset(): void {
    this.close();
  }
}

interface Real {
  readonly breaker: CircuitBreaker;
  readonly clock: ManualClock;
}

class CallCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly durationMs: number,
    readonly fails: boolean,
  ) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    const expected = model.call(real.clock.now(), this.durationMs, this.fails);
    const result = real.breaker
      .execute(() => real.clock.sleep(this.durationMs).then(() => (this.fails ? Promise.reject(new Error('boom')) : 'ok')))
      .then(
        () => 'success',
        (error: unknown) => ((error as { code?: string }).code === 'CIRCUIT_OPEN' ? 'rejected' : 'failure'),
      );
    await real.clock.advance(this.durationMs);
    expect(await result).toBe(expected);
    expect(real.breaker.state).toBe(model.state);
  }

  toString(): string {
    return `${this.fails ? 'fail' : 'succeed'}(${this.durationMs}ms)`;
  }
}

class AdvanceCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    await real.clock.advance(this.ms);
    expect(real.breaker.state).toBe(model.state);
  }

  toString(): string {
    return `advance(${this.ms})`;
  }
}

class ManualCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly operation: 'isolate' | 'disable' | 'reset') {}

  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    real.breaker[this.operation]();
    if (this.operation === 'reset') model.reset();
    else model.state = this.operation === 'isolate' ? 'isolated' : 'disabled';
    expect(real.breaker.state).toBe(model.state);
  }

  toString(): string {
    return `${this.operation}()`;
  }
}

const configArbitrary: fc.Arbitrary<Config> = fc.record({
  mode: fc.oneof(
    fc.record({ kind: fc.constant('consecutive' as const), failureThreshold: fc.integer({ min: 1, max: 5 }) }),
    fc.record({
      kind: fc.constant('count' as const),
      size: fc.integer({ min: 1, max: 8 }),
      minimumCalls: fc.integer({ min: 1, max: 10 }),
      failureRateThreshold: fc.constantFrom(0.25, 0.5, 0.75, 1),
      slowCallDurationMs: fc.integer({ min: 1, max: 50 }),
      slowCallRateThreshold: fc.constantFrom(0.5, 1),
    }),
  ),
  recoveryTimeoutMs: fc.integer({ min: 1, max: 200 }),
  successThreshold: fc.integer({ min: 1, max: 3 }),
  backoff: fc.option(fc.record({ multiplier: fc.constantFrom(1, 2, 3), maxMs: fc.integer({ min: 200, max: 1_000 }) }), {
    nil: undefined,
  }),
});

const commandArbitraries = [
  fc.tuple(fc.integer({ min: 0, max: 80 }), fc.boolean()).map(([ms, fails]) => new CallCommand(ms, fails)),
  fc.tuple(fc.integer({ min: 0, max: 80 }), fc.boolean()).map(([ms, fails]) => new CallCommand(ms, fails)),
  fc.integer({ min: 1, max: 400 }).map((ms) => new AdvanceCommand(ms)),
  fc.constantFrom('isolate' as const, 'disable' as const, 'reset' as const).map((op) => new ManualCommand(op)),
];

function toOptions(config: Config, clock: ManualClock): CircuitBreakerOptions {
  const common = {
    registry: false as const,
    clock,
    recoveryTimeoutMs: config.recoveryTimeoutMs,
    successThreshold: config.successThreshold,
    maxHalfOpenWaitMs: 1_000_000,
    ...(config.backoff === undefined ? {} : { recoveryBackoff: config.backoff }),
  };
  const mode = config.mode;
  if (mode.kind === 'consecutive') return { ...common, failureThreshold: mode.failureThreshold };
  return {
    ...common,
    window: { type: 'count', size: mode.size },
    minimumCalls: mode.minimumCalls,
    failureRateThreshold: mode.failureRateThreshold,
    slowCallDurationMs: mode.slowCallDurationMs,
    slowCallRateThreshold: mode.slowCallRateThreshold,
  };
}

describe('CircuitBreaker state machine', () => {
  it('agrees with the reference model on every random sequence of calls, clock advances and manual operations', async () => {
    await fc.assert(
      fc.asyncProperty(configArbitrary, fc.commands(commandArbitraries, { maxCommands: 60 }), async (config, commands) => {
        const clock = new ManualClock();
        const setup = () => ({ model: new Model(config), real: { clock, breaker: new CircuitBreaker(toOptions(config, clock)) } });
        await fc.asyncModelRun(setup, commands);
      }),
      { numRuns: 300 },
    );
  });
});
