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

/** Processes each exactness test runs. */
const PROCESSES = 4;
/** Start gates made so far, which names each one. */
let gatesOpened = 0;

/**
 * Opens the start gate `gate` once every process has said it is ready (connected, its code
 * loaded): hands each the same start time, a moment ahead, so that all start together however
 * long a loaded machine took to start them.
 */
async function openWhenReady(gate: string, running: Promise<unknown>): Promise<void> {
  let failed: unknown;
  void running.catch((error: unknown) => (failed = error));
  while ((await redis.llen(`${gate}:ready`)) < PROCESSES) {
    if (failed !== undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const startAt = String(Date.now() + 200);
  await redis.rpush(`${gate}:go`, ...Array.from({ length: PROCESSES }, () => startAt));
}

/** Runs `fixture` in 4 processes with `env`, each 50 consumers from one start; resolves to what each admitted. */
async function hammerIn4Processes(fixture: string, env: Record<string, string | undefined>): Promise<number[]> {
  const gate = `${prefix}:gate:${++gatesOpened}`;
  const running = Promise.all(
    Array.from({ length: PROCESSES }, () =>
      run(process.execPath, ['--import', 'tsx', fixture], { env: { ...process.env, ...env, GATE: gate, CONSUMERS: '50' }, timeout: 30_000 }),
    ),
  );
  await openWhenReady(gate, running);
  const outputs = await running;
  return outputs.map(({ stdout }) => Number(/admitted (\d+)/.exec(stdout)?.[1]));
}

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
  const env = {
    REDIS_URL: inject('redisUrl'),
    PREFIX: prefix,
    RULE: JSON.stringify(rule),
    DURATION_MS: String(durationMs),
  };
  const admitted = await hammerIn4Processes(fixture, env);
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

it('never admits more than burst + rate × T in any interval T by server time with a token bucket, with 4 processes × 50 concurrent consumers', async () => {
  const burst = 20;
  const intervalUs = 10_000; // 100 tokens a second
  const durationMs = 2_000;
  const rule: RateLimitRule = { algorithm: 'token-bucket', windows: [{ limit: burst, windowMs: (burst * intervalUs) / 1_000 }] };
  const [key] = new RedisStore({ redis, prefix }).keysFor('hot', rule) as [string];
  const log = `${prefix}:admissions`;
  const fixture = fileURLToPath(new URL('./token-bucket-hammer.fixture.ts', import.meta.url));
  const env = {
    REDIS_URL: inject('redisUrl'),
    KEY: key,
    LOG: log,
    BURST: String(burst),
    INTERVAL_US: String(intervalUs),
    DURATION_MS: String(durationMs),
  };
  const admitted = await hammerIn4Processes(fixture, env);
  const total = admitted.reduce((sum, count) => sum + count, 0);

  const times = (await redis.lrange(log, 0, -1)).map(Number); // server µs, in the order Redis decided
  expect(times).toHaveLength(total);
  // Every interval [times[i], times[j]] holds j - i + 1 admissions: at most burst + its length / interval.
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) {
      expect(j - i + 1).toBeLessThanOrEqual(burst + ((times[j] as number) - (times[i] as number)) / intervalUs);
    }
  }
  // No over-rejection: saturated, the bucket admits at least 90 % of what the bound allows.
  const spanUs = (times.at(-1) as number) - (times[0] as number);
  expect(total).toBeGreaterThanOrEqual(0.9 * (burst + spanUs / intervalUs));
  expect(spanUs).toBeGreaterThan(0.9 * durationMs * 1_000);
  expect(admitted.every((count) => count > 0)).toBe(true);
}, 30_000);

for (const algorithm of ['sliding-log', 'token-bucket'] as const) {
  it(`shares one limit between processes whose clocks are 30 s apart, with server time (${algorithm})`, async () => {
    const rule: RateLimitRule = { algorithm, windows: [{ limit: 4, windowMs: 10_000 }] };
    const other = await connect(inject('redisUrl'));
    try {
      const honest = new RedisStore({ redis, prefix, namespace: `skew-${algorithm}` });
      const skewed = new RedisStore({ redis: other, prefix, namespace: `skew-${algorithm}` });
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
}
