import fc from 'fast-check';
import { describe, expect, inject, it } from 'vitest';
import { bucketResultOf, emissionIntervalUs } from '../../src/rate-limiter/token-bucket';
import { SINGLE_BUCKET_SCRIPTS, TOKEN_BUCKET_SCRIPTS } from '../../src/redis/scripts/token-bucket';
import { useSharedRedis } from './support';

const shared = useSharedRedis(inject('redisUrl'), 'bucket-scripts');

/** What a decision leaves behind: its numbers, and the bucket's key (its packed TAT, and whether it has a TTL). */
interface Outcome {
  /** `[remaining, resetMs, retryAfterMs]`, `retryAfterMs` 0 when admitted. */
  readonly numbers: readonly number[];
  readonly tat: string | null;
  readonly expires: boolean;
}

/**
 * Runs `lua` (client time, so that both scripts see the same `now`) on `key` with `args` after the
 * time, and reads what it left, in one transaction that then removes the key's TTL: the test's
 * time is not the server's, so the key must not expire by the server's clock (an absent key and
 * an expired TAT decide alike).
 */
async function decide(lua: string, key: string, nowMs: number, args: readonly (string | number)[]): Promise<[unknown, Omit<Outcome, 'numbers'>]> {
  const replies = await shared.redis.multi().eval(lua, 1, key, nowMs, ...args).getBuffer(key).pttl(key).persist(key).exec();
  const [reply, tat, ttl] = (replies ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  }) as [unknown, Buffer | null, number];
  return [reply, { tat: tat === null ? null : tat.toString('hex'), expires: ttl > 0 }];
}

/** A decision of the general script, whose reply is `[remaining, resetMs]` or `[remaining, resetMs, 1, retryAfterMs]` (-1: never). */
async function decideByGeneral(key: string, nowMs: number, cost: number, limit: number, intervalUs: number): Promise<Outcome> {
  const [reply, left] = await decide(TOKEN_BUCKET_SCRIPTS.client, key, nowMs, [cost, limit, intervalUs]);
  const [remaining, resetMs, , wait] = reply as number[];
  return { numbers: [remaining as number, resetMs as number, wait === undefined ? 0 : wait === -1 ? Infinity : wait], ...left };
}

/** A decision of the single-bucket script, whose reply is one number (see bucketResultOf). */
async function decideBySingle(key: string, nowMs: number, cost: number, limit: number, intervalUs: number): Promise<Outcome> {
  const [reply, left] = await decide(SINGLE_BUCKET_SCRIPTS.client, key, nowMs, [`${cost} ${limit} ${intervalUs}`]);
  const result = bucketResultOf(reply as number, cost, limit, intervalUs);
  if (result === undefined) throw new Error(`not a decision: ${String(reply)}`);
  return { numbers: [result.remaining, result.resetMs, result.retryAfterMs], ...left };
}

describe('token-bucket scripts', () => {
  it('decide alike and store the same state: the single-bucket script (as the store reads its reply) and the general one with one bucket', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        // Buckets whose every TTL is ≥ 1 s (an interval ≥ 1 s), so that no key expires before its TTL is removed.
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 8_000, max: 40_000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 1, max: 10 })), { minLength: 1, maxLength: 25 }),
        async (limit, windowMs, steps) => {
          run++;
          const [single, general] = [`${shared.prefix}:{k${run}}:single`, `${shared.prefix}:{k${run}}:general`];
          const intervalUs = emissionIntervalUs({ limit, windowMs });
          let nowMs = 1_700_000_000_000;
          for (const [elapsedMs, cost] of steps) {
            nowMs += elapsedMs;
            const bySingle = await decideBySingle(single, nowMs, cost, limit, intervalUs);
            const byGeneral = await decideByGeneral(general, nowMs, cost, limit, intervalUs);
            expect(bySingle).toEqual(byGeneral);
          }
          await shared.redis.del(single, general);
        },
      ),
      { numRuns: 40 },
    );
  });
});
