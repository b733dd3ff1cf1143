import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it, vi } from 'vitest';
import type { RateLimitRule } from '../../src/rate-limiter/index';
import { RedisStore } from '../../src/redis/index';
import { connect, deleteUnder, uniquePrefix } from './support';

const run = promisify(execFile);
let redis: Redis;
const prefix = uniquePrefix('processes');

beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
});

afterAll(async () => {
  await deleteUnder(redis, prefix);
  redis.disconnect();
});

it('never admits more than limit in any window by server time, with 4 processes × 50 concurrent consumers', async () => {
  const limit = 30;
  const windowMs = 200;
  const durationMs = 2_000;
  // The second, generous window keeps every admitted unit with its server time (µs) as the score.
  const rule: RateLimitRule = {
    algorithm: 'sliding-log',
    windows: [
      { limit, windowMs },
      { limit: 1_000_000, windowMs: 60_000 },
    ],
  };
  const fixture = fileURLToPath(new URL('./hammer.fixture.ts', import.meta.url));
  const startAt = Date.now() + 4_000;
  const env = {
    ...process.env,
    REDIS_URL: inject('redisUrl'),
    PREFIX: prefix,
    RULE: JSON.stringify(rule),
    CONSUMERS: '50',
    START_AT: String(startAt),
    END_AT: String(startAt + durationMs),
  };
  const outputs = await Promise.all(
    Array.from({ length: 4 }, () => run(process.execPath, ['--import', 'tsx', fixture], { env, timeout: 20_000 })),
  );
  const admitted = outputs.map(({ stdout }) => Number(/admitted (\d+)/.exec(stdout)?.[1]));
  const total = admitted.reduce((sum, count) => sum + count, 0);

  const logKey = new RedisStore({ redis, prefix }).keysFor('hot', rule)[1] as string;
  const scored = await redis.zrange(logKey, '0', '-1', 'WITHSCORES');
  const times = scored.filter((_, index) => index % 2 === 1).map((score) => Number(score) / 1_000); // µs → ms
  expect(times).toHaveLength(total);
  for (let i = 0; i + limit < times.length; i++) {
    expect((times[i + limit] as number) - (times[i] as number)).toBeGreaterThanOrEqual(windowMs);
  }
  // No over-rejection: saturated, every window admits its limit.
  expect(total).toBeGreaterThanOrEqual(0.8 * limit * (durationMs / windowMs));
  expect(admitted.every((count) => count > 0)).toBe(true);
}, 30_000);

it('shares one window between processes whose clocks are 30 s apart, with server time', async () => {
  const rule: RateLimitRule = { algorithm: 'sliding-log', windows: [{ limit: 4, windowMs: 10_000 }] };
  const other = await connect(inject('redisUrl'));
  try {
    const honest = new RedisStore({ redis, prefix, namespace: 'skew' });
    const skewed = new RedisStore({ redis: other, prefix, namespace: 'skew' });
    const realNow = Date.now.bind(Date);
    const answers = [];
    for (let i = 0; i < 3; i++) {
      answers.push(await honest.consume('k', 1, rule));
      vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 30_000);
      answers.push(await skewed.consume('k', 1, rule));
      vi.restoreAllMocks();
    }
    expect(answers.map((answer) => answer.allowed)).toEqual([true, true, true, true, false, false]);
  } finally {
    other.disconnect();
  }
});
