/**
 * A per-user rate limiter in memory: middleware-style decisions with `consume`, a call refused
 * with `RateLimitError`, and an outgoing call rate smoothed by waiting.
 *
 * - `limits`: 3 requests per second and 5 per minute per user, counted exactly (the default
 *   `sliding-log` algorithm) in a `MemoryStore` that keeps at most 10,000 users.
 * - `consume(key)` decides and reports `allowed`, `remaining` and `retryAfterMs` (for the
 *   `RateLimit-*` and `Retry-After` headers); each user has their own count.
 * - `execute(fn, { key })` runs `fn` or rejects with `RateLimitError` (code `RATE_LIMITED`,
 *   reason `limitReached`) without running it.
 * - `mode: 'wait'` waits for room instead (at most `maxWaitMs`): calls leave at the allowed rate.
 *
 * Run it: `npx tsx examples/rate-limiter-memory.ts`
 */
import { pathToFileURL } from 'node:url';
import { MemoryStore, RateLimitError, RateLimiter, type RateLimiterStats } from 'bulwark';

/** One `consume` decision, as middleware would turn it into headers. */
export interface Decision {
  readonly user: string;
  readonly allowed: boolean;
  readonly remaining: number;
  /** Seconds for a `Retry-After` header when refused, else 0. */
  readonly retryAfterSeconds: number;
}

export interface RateLimiterMemoryResult {
  /** Four requests from alice, then one from bob, within one second. */
  readonly decisions: readonly Decision[];
  /** alice's next call through `execute`: refused without running. */
  readonly refusedCall: { readonly code: string; readonly reason: string; readonly ran: boolean };
  /** How long three calls took through a limiter of 2 per 100 ms in wait mode, in ms. */
  readonly smoothedMs: number;
  readonly stats: RateLimiterStats;
}

export async function main(): Promise<RateLimiterMemoryResult> {
  const perUser = new RateLimiter({
    name: 'api-per-user',
    limits: [
      { limit: 3, windowMs: 1_000 },
      { limit: 5, windowMs: 60_000 },
    ],
    store: new MemoryStore({ maxKeys: 10_000 }),
    registry: false,
  });

  const decisions: Decision[] = [];
  for (const user of ['alice', 'alice', 'alice', 'alice', 'bob']) {
    const result = await perUser.consume(user);
    const retryAfterSeconds = result.allowed ? 0 : Math.ceil(result.retryAfterMs / 1_000);
    decisions.push({ user, allowed: result.allowed, remaining: result.remaining, retryAfterSeconds });
  }

  let ran = false;
  let refusedCall: RateLimiterMemoryResult['refusedCall'] = { code: 'none', reason: 'admitted', ran };
  try {
    await perUser.execute(() => (ran = true), { key: 'alice' });
  } catch (error) {
    if (!(error instanceof RateLimitError)) throw error;
    refusedCall = { code: error.code, reason: error.reason, ran };
  }

  // Smoothing an outgoing rate: the third call waits for the window to make room.
  const outgoing = new RateLimiter({ name: 'outgoing', limit: 2, windowMs: 100, mode: 'wait', maxWaitMs: 1_000, registry: false });
  const started = performance.now();
  await Promise.all([1, 2, 3].map((n) => outgoing.execute(() => n)));
  const smoothedMs = performance.now() - started;

  return { decisions, refusedCall, smoothedMs, stats: perUser.stats() };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
