import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/index';
import { RateLimitHeaders } from '../../src/middleware/rate-limit-headers';
import type { RateLimiterOptions } from '../../src/rate-limiter/options';

/** The `RateLimit-Policy` field a limiter with `options` advertises. */
function policyOf(options: RateLimiterOptions): string | undefined {
  const limiter = new RateLimiter({ name: 'api', registry: false, ...options });
  const written = new Map<string, string>();
  new RateLimitHeaders(limiter.rule, 'draft').write({ allowed: true, limit: 1, remaining: 0, resetMs: 0, retryAfterMs: 0 }, { setHeader: (name, value) => written.set(name, value) });
  return written.get('RateLimit-Policy');
}

describe('RateLimit-Policy', () => {
  it('states a window of whole seconds as its limit per window', () => {
    expect(policyOf({ limit: 100, windowMs: 60_000 })).toBe('"api";q=100;w=60');
  });

  it('states a sub-second window at its rate over a whole second, not as its limit per second', () => {
    expect(policyOf({ limit: 5, windowMs: 500 })).toBe('"api";q=10;w=1');
  });

  it('states a token bucket refilled faster than once a second at its sustained rate', () => {
    // burst 1 at 10 per second refills in 100 ms: "1 per second" would say ten times too little.
    expect(policyOf({ algorithm: 'token-bucket', rate: { tokens: 10, perMs: 1_000 }, burst: 1 })).toBe('"api";q=10;w=1');
  });

  it('rounds a window of a fractional number of seconds up to whole seconds and its quota down', () => {
    expect(policyOf({ limit: 3, windowMs: 1_500 })).toBe('"api";q=4;w=2');
  });
});
