import { RateLimiter, type RateLimiterOptions, type RateLimitResult, type RateLimitRule, type RateLimitStore } from '../../src/rate-limiter/index';
import { MemoryStore } from '../../src/rate-limiter/index';
import { ManualClock } from '../support/manual-clock';

/** A limiter on a manual clock, not registered anywhere. */
export function limiterOnClock(options: RateLimiterOptions): { limiter: RateLimiter; clock: ManualClock } {
  const clock = new ManualClock();
  const limiter = new RateLimiter({ registry: false, clock, ...options });
  return { limiter, clock };
}

/**
 * A limiter on a manual clock with `options` over a {@link FlakyStore} that already rejects every
 * call, falling back to local rules for 4 instances: the limiter of a store outage.
 */
export function limiterOnFailingStore(options: RateLimiterOptions): { limiter: RateLimiter; clock: ManualClock } {
  const clock = new ManualClock();
  const store = new FlakyStore(clock);
  store.mode = 'reject';
  const limiter = new RateLimiter({ registry: false, clock, store, onStoreError: 'fallback', expectedInstances: 4, ...options });
  return { limiter, clock };
}

/** The ConfigError `build` throws, or a failure. */
export function configErrorOf(build: () => unknown): { paths: string[]; message: string } {
  try {
    build();
  } catch (caught) {
    const error = caught as { issues: { path: string }[]; message: string; code: string };
    if (error.code !== 'CONFIG_INVALID') throw caught;
    return { paths: error.issues.map((issue) => issue.path).sort(), message: error.message };
  }
  throw new Error('expected a ConfigError');
}

/**
 * A MemoryStore that fails on demand: `mode` 'throw' throws synchronously, 'reject' answers with
 * a rejected promise, 'ok' answers from memory (asynchronously when `async` is set).
 */
export class FlakyStore implements RateLimitStore {
  mode: 'ok' | 'throw' | 'reject' = 'ok';
  async = false;
  calls = 0;
  readonly memory: MemoryStore;

  constructor(clock: ManualClock) {
    this.memory = new MemoryStore({ clock });
  }

  consume(key: string, cost: number, rule: RateLimitRule): RateLimitResult | Promise<RateLimitResult> {
    this.calls++;
    if (this.mode === 'throw') throw new Error('store down (sync)');
    if (this.mode === 'reject') return Promise.reject(new Error('store down (async)'));
    const result = this.memory.consume(key, cost, rule);
    return this.async ? Promise.resolve(result) : result;
  }
}
