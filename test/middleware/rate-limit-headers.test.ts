import { describe, expect, it, vi } from 'vitest';
import { RateLimiter } from '../../src/index';
import { RateLimitHeaders } from '../../src/middleware/rate-limit-headers';
import type { RateLimiterOptions } from '../../src/rate-limiter/options';
import type { RateLimitResult } from '../../src/rate-limiter/store';

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

describe('RateLimit fields of successive responses', () => {
  /** The fields each result gets, written in turn by one RateLimitHeaders. */
  function fieldsOf(options: RateLimiterOptions, style: 'draft' | 'legacy', results: readonly RateLimitResult[]): Record<string, string>[] {
    const limiter = new RateLimiter({ name: 'api', registry: false, ...options });
    const headers = new RateLimitHeaders(limiter.rule, style);
    return results.map((result) => {
      const written: Record<string, string> = {};
      headers.write(result, { setHeader: (name, value) => void (written[name] = value) });
      return written;
    });
  }
  const result = (limit: number, remaining: number, resetMs: number): RateLimitResult => ({ allowed: true, limit, remaining, resetMs, retryAfterMs: 0 });

  it('states each response’s own numbers, whether they repeat or change', () => {
    const fields = fieldsOf({ limit: 100, windowMs: 60_000 }, 'draft', [
      result(100, 99, 60_000),
      result(100, 99, 60_000),
      result(100, 98, 60_000),
      result(100, 98, 59_001),
      result(100, 98, 59_000),
      result(100, 99, 59_000),
    ]);
    expect(fields.map((field) => field['RateLimit'])).toEqual([
      '"api";r=99;t=60',
      '"api";r=99;t=60',
      '"api";r=98;t=60',
      '"api";r=98;t=60',
      '"api";r=98;t=59',
      '"api";r=99;t=59',
    ]);
    expect(new Set(fields.map((field) => field['RateLimit-Policy']))).toEqual(new Set(['"api";q=100;w=60']));
  });

  it('names the window of each response when the same numbers come from another window', () => {
    const limits = [
      { limit: 10, windowMs: 1_000 },
      { limit: 100, windowMs: 60_000 },
    ];
    const fields = fieldsOf({ limits }, 'draft', [result(10, 5, 1_000), result(100, 5, 1_000), result(10, 5, 1_000)]);
    expect(fields.map((field) => field['RateLimit'])).toEqual(['"api-1";r=5;t=1', '"api-2";r=5;t=1', '"api-1";r=5;t=1']);
  });

  it('names the window a response describes by its index when two windows have one limit', () => {
    const limits = [
      { limit: 10, windowMs: 1_000 },
      { limit: 10, windowMs: 60_000 },
    ];
    const second: RateLimitResult = { ...result(10, 0, 59_000), windowIndex: 1 };
    const fields = fieldsOf({ limits }, 'draft', [{ ...result(10, 4, 1_000), windowIndex: 0 }, second]);
    expect(fields.map((field) => field['RateLimit'])).toEqual(['"api-1";r=4;t=1', '"api-2";r=0;t=59']);
  });

  it('names a refusal of a real limiter by the window that refused, among windows of one limit', async () => {
    const limiter = new RateLimiter({ name: 'api', registry: false, limits: [{ limit: 3, windowMs: 1_000 }, { limit: 3, windowMs: 60_000 }] });
    const headers = new RateLimitHeaders(limiter.rule, 'draft');
    const written: Record<string, string> = {};
    let last: RateLimitResult | undefined;
    for (let call = 0; call < 4; call++) last = await limiter.consume('client');
    headers.write(last as RateLimitResult, { setHeader: (name, value) => void (written[name] = value) });
    expect(last?.allowed).toBe(false);
    expect(written['RateLimit']).toMatch(/^"api-2";r=0;t=60$/);
  });

  it('writes the legacy limit, remaining and reset time of each response as the clock moves', () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    try {
      const limiter = new RateLimiter({ name: 'api', limit: 100, windowMs: 60_000, registry: false });
      const headers = new RateLimitHeaders(limiter.rule, 'legacy');
      const written: Record<string, string>[] = [];
      const write = (remaining: number): void => {
        const fields: Record<string, string> = {};
        headers.write(result(100, remaining, 30_000), { setHeader: (name, value) => void (fields[name] = value) });
        written.push(fields);
      };
      write(99);
      write(98);
      vi.advanceTimersByTime(1_000);
      write(97);
      expect(written).toEqual([
        { 'X-RateLimit-Limit': '100', 'X-RateLimit-Remaining': '99', 'X-RateLimit-Reset': '1700000030' },
        { 'X-RateLimit-Limit': '100', 'X-RateLimit-Remaining': '98', 'X-RateLimit-Reset': '1700000030' },
        { 'X-RateLimit-Limit': '100', 'X-RateLimit-Remaining': '97', 'X-RateLimit-Reset': '1700000031' },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});
