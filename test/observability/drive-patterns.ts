import {
  AdaptiveConcurrencyLimiter,
  Backpressure,
  Bulkhead,
  CircuitBreaker,
  Fallback,
  LoadShedder,
  RateLimiter,
  Retry,
  Timeout,
  type Registry,
} from '../../src/index';
import { ManualClock } from '../support/manual-clock';

const fail = async (): Promise<never> => {
  throw new Error('boom');
};
const ok = async (): Promise<number> => 1;
const settle = (promise: Promise<unknown>): Promise<unknown> => promise.catch((error: unknown) => error);

/** The instances {@link drivePatterns} made, and a way to end the calls it left running. */
export interface Driven {
  /** Ends the calls held in the Bulkhead, LoadShedder, AdaptiveConcurrencyLimiter and Backpressure. */
  release(): Promise<void>;
}

/**
 * Drives one instance of every pattern, registered in `instances`, through what its metrics
 * show: CircuitBreaker `cb` (a 30 ms success, a failure that opens it, a refusal), Retry `rt` (a
 * success, a failure after one retry), Timeout `to` (a timeout), Fallback `fb` (one fallback),
 * Bulkhead `bh`, LoadShedder `ls` and AdaptiveConcurrencyLimiter `acl` (one call held, one
 * refused), RateLimiter `rl` (limit 1: one admitted, one refused), Backpressure `bp` (paused by a
 * held call, one call refused after waiting its `maxWaitMs`).
 */
export async function drivePatterns(instances: Registry): Promise<Driven> {
  const clock = new ManualClock();

  const breaker = new CircuitBreaker({ name: 'cb', failureThreshold: 1, clock, registry: instances });
  await breaker.execute(async () => {
    await clock.advance(30);
    return 1;
  });
  await settle(breaker.execute(fail));
  await settle(breaker.execute(ok));

  const retry = new Retry({ name: 'rt', maxAttempts: 2, initialDelayMs: 0, registry: instances });
  await retry.execute(ok);
  await settle(retry.execute(fail));

  const timeout = new Timeout({ name: 'to', timeoutMs: 10, clock, registry: instances });
  const timedOut = settle(timeout.execute(() => new Promise(() => {})));
  await clock.advance(10);
  await timedOut;

  const fallback = new Fallback({ name: 'fb', fallback: () => 0, registry: instances });
  await fallback.execute(fail);

  const bulkhead = new Bulkhead({ name: 'bh', maxInFlight: 1, registry: instances });
  let release!: () => void;
  const held = bulkhead.execute(() => new Promise<void>((resolve) => (release = resolve)));
  await settle(bulkhead.execute(ok));

  const shedder = new LoadShedder({ name: 'ls', maxInFlight: 1, maxQueue: 0, registry: instances });
  let releaseShed!: () => void;
  const shedHeld = shedder.execute(() => new Promise<void>((resolve) => (releaseShed = resolve)));
  await settle(shedder.execute(ok));

  const limiter = new AdaptiveConcurrencyLimiter({ name: 'acl', initialLimit: 1, minLimit: 1, registry: instances });
  let releaseLimit!: () => void;
  const limitHeld = limiter.execute(() => new Promise<void>((resolve) => (releaseLimit = resolve)));
  await settle(limiter.execute(ok));

  const rateLimiter = new RateLimiter({ name: 'rl', limit: 1, windowMs: 60_000, clock, registry: instances });
  await rateLimiter.execute(ok);
  await settle(rateLimiter.execute(ok));

  const backpressure = new Backpressure({ name: 'bp', highWaterMark: 1, maxWaitMs: 5, clock, registry: instances });
  let releaseBp!: () => void;
  const bpHeld = backpressure.execute(() => new Promise<void>((resolve) => (releaseBp = resolve)));
  const bpRefused = settle(backpressure.execute(ok));
  await clock.advance(5);
  await bpRefused;
  return {
    async release() {
      release();
      releaseShed();
      releaseLimit();
      releaseBp();
      await Promise.all([held, shedHeld, limitHeld, bpHeld]);
    },
  };
}
