import { describe, expect, it, vi } from 'vitest';
import {
  Bulkhead,
  BulkheadRejectedError,
  CircuitBreaker,
  CircuitOpenError,
  ConfigError,
  RateLimitError,
  RejectedError,
  Retry,
  RetryBudget,
  Timeout,
  compose,
  type RetryExhaustedEvent,
} from '../../src/index';
import { ManualClock } from '../support/manual-clock';

class DependencyDown extends Error {}

const noDelay = { backoff: 'constant', initialDelayMs: 0, jitter: 'none' } as const;

/**
 * The composition of issue 15: Retry around a breaker around a Timeout, on a dependency that is
 * down. Returns what the caller saw and after how long, in clock time.
 */
async function retryAroundOpenCircuit(retryRejections?: boolean) {
  const clock = new ManualClock();
  const retry = new Retry({ maxAttempts: 5, clock, registry: false, ...(retryRejections === undefined ? {} : { retryRejections }) });
  const breaker = new CircuitBreaker({ failureThreshold: 2, recoveryTimeoutMs: 60_000, clock, registry: false });
  const pipeline = compose(retry, breaker, new Timeout({ timeoutMs: 50, clock, registry: false }));
  const fn = vi.fn(async () => {
    throw new DependencyDown('down');
  });
  const startedAt = clock.now();
  let endedAt: number | undefined;
  const outcome = pipeline.execute(fn).then(
    () => expect.unreachable('the dependency is down'),
    (error: unknown) => {
      endedAt = clock.now();
      return error;
    },
  );
  while (endedAt === undefined) await clock.advance(1_000);
  return { error: await outcome, elapsedMs: endedAt - startedAt, calls: fn.mock.calls.length, retry };
}

describe('Retry and refusals of inner policies (retryRejections)', () => {
  it('ends at once on the open circuit of an inner breaker by default, with the refusal itself', async () => {
    const { error, elapsedMs, calls, retry } = await retryAroundOpenCircuit();
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(elapsedMs).toBeLessThan(1_000);
    expect(calls).toBe(2);
    expect(retry.stats()).toMatchObject({ retries: 2, failedAfterRetry: 1 });
  });

  it('waits out the open circuit as before with retryRejections: true', async () => {
    const { error, elapsedMs, calls } = await retryAroundOpenCircuit(true);
    expect(error).toBeInstanceOf(DependencyDown);
    expect(elapsedMs).toBeGreaterThanOrEqual(60_000);
    expect(elapsedMs).toBeLessThan(61_000);
    expect(calls).toBe(3);
  });

  it('gives a refusal to the caller unchanged, untold and untransformed, without a retry or exhausted event', async () => {
    const refusal = new RateLimitError('api-limit', 10, 500);
    const onException = vi.fn();
    const transform = vi.fn(() => new Error('transformed'));
    const retry = new Retry({ maxAttempts: 3, ...noDelay, registry: false, exceptions: { onException, transform } });
    const events: string[] = [];
    retry.events.on('retry', () => events.push('retry'));
    retry.events.on('exhausted', () => events.push('exhausted'));
    const fn = vi.fn(async () => {
      throw refusal;
    });
    await expect(retry.execute(fn)).rejects.toBe(refusal);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(events).toEqual([]);
    expect(onException).not.toHaveBeenCalled();
    expect(transform).not.toHaveBeenCalled();
    expect(retry.stats()).toMatchObject({ failedWithoutRetry: 1, failedAfterRetry: 0, retries: 0 });
  });

  it('spends no budget token on a refusal it does not retry', async () => {
    const budget = new RetryBudget({ ratio: 1, minPerSecond: 0 });
    const retry = new Retry({ maxAttempts: 3, ...noDelay, budget, registry: false });
    const full = new Bulkhead({ maxInFlight: 1, registry: false });
    const pipeline = compose(retry, full);
    let release = (): void => undefined;
    const occupying = full.execute(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(pipeline.execute(async () => 'never runs')).rejects.toBeInstanceOf(BulkheadRejectedError);
    expect(budget.tokens).toBe(1);
    expect(retry.stats().retriesDeniedByBudget).toBe(0);
    release();
    await occupying;
  });

  it('with retryRejections, waits a refusal’s retryAfterMs capped by maxDelayMs', async () => {
    const clock = new ManualClock();
    const started: number[] = [];
    const retry = new Retry({ maxAttempts: 2, maxDelayMs: 2_000, retryRejections: true, clock, registry: false });
    const result = retry.execute(async () => {
      started.push(clock.now());
      if (started.length === 1) throw new RateLimitError('api-limit', 10, 5_000);
      return 'admitted';
    });
    await clock.advance(2_000);
    await expect(result).resolves.toBe('admitted');
    expect((started[1] as number) - (started[0] as number)).toBe(2_000);
  });

  it('with retryRejections, stops at the deadline when the refusal’s retryAfterMs does not fit', async () => {
    const clock = new ManualClock();
    const retry = new Retry({ maxAttempts: 3, retryRejections: true, clock, registry: false });
    const exhausted: RetryExhaustedEvent[] = [];
    retry.events.on('exhausted', (event) => exhausted.push(event));
    const refusal = new RateLimitError('api-limit', 10, 5_000);
    const fn = vi.fn(async () => {
      throw refusal;
    });
    await expect(retry.execute(fn, { timeoutMs: 1_000 })).rejects.toBe(refusal);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(exhausted.map((event) => event.reason)).toEqual(['deadline']);
  });

  it('with retryRejections, still retries only the refusals that exceptions.handle lists', async () => {
    const retry = new Retry({
      maxAttempts: 3,
      ...noDelay,
      retryRejections: true,
      registry: false,
      exceptions: { handle: [RateLimitError, DependencyDown] },
    });
    const rateLimited = vi.fn(async () => {
      if (rateLimited.mock.calls.length === 1) throw new RateLimitError('api-limit', 10, 1);
      return 'admitted';
    });
    await expect(retry.execute(rateLimited)).resolves.toBe('admitted');
    const open = new CircuitOpenError('payments', 'circuitOpen', 1);
    const refusedByBreaker = vi.fn(async () => {
      throw open;
    });
    await expect(retry.execute(refusedByBreaker)).rejects.toBe(open);
    expect(refusedByBreaker).toHaveBeenCalledTimes(1);
  });

  it('refuses a refusal class in exceptions.handle without retryRejections: true', () => {
    const build = (retryRejections?: boolean) => () =>
      new Retry({
        registry: false,
        ...(retryRejections === undefined ? {} : { retryRejections }),
        exceptions: { handle: [DependencyDown, CircuitOpenError, RejectedError] },
      });
    expect(build()).toThrow(ConfigError);
    expect(build(false)).toThrow(
      /exceptions\.handle: lists CircuitOpenError, a refusal by an inner policy, which a Retry retries only with retryRejections: true[\s\S]*exceptions\.handle: lists RejectedError/,
    );
    expect(build(true)).not.toThrow();
    expect(() => new Retry({ registry: false, exceptions: { handle: [DependencyDown], ignore: [CircuitOpenError] } })).not.toThrow();
  });

  it('never hands a refusal to a handle predicate unless retryRejections is on', async () => {
    const handle = vi.fn(() => true);
    const refusal = new BulkheadRejectedError('pool', 'queueFull');
    const fn = async () => {
      throw refusal;
    };
    await expect(new Retry({ ...noDelay, registry: false, exceptions: { handle } }).execute(fn)).rejects.toBe(refusal);
    expect(handle).not.toHaveBeenCalled();
    await expect(new Retry({ ...noDelay, registry: false, retryRejections: true, exceptions: { handle } }).execute(fn)).rejects.toBe(refusal);
    expect(handle).toHaveBeenCalledTimes(3);
  });

  it('refuses a retryRejections that is not a boolean', () => {
    expect(() => new Retry({ retryRejections: 'yes' as never })).toThrow(/retryRejections: .*got 'yes'/);
  });
});
