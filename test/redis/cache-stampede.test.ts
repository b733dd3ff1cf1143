import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, inject, it } from 'vitest';
import { systemClock } from '../../src/core/clock';
import { cacheSuite } from './cache-support';

const run = promisify(execFile);
const PROCESSES = 4;
const CALLERS = 200;
const suite = cacheSuite('cache-stampede');

/** Runs the fixture in PROCESSES processes at once; returns each one's distinct answers. */
async function stampede(key: string): Promise<string[][]> {
  const fixture = fileURLToPath(new URL('./cache-stampede.fixture.ts', import.meta.url));
  const env = {
    ...process.env,
    REDIS_URL: inject('redisUrl'),
    PREFIX: suite.prefix,
    KEY: key,
    LOADS_KEY: `${suite.prefix}:loads`,
    LOAD_MS: '300',
    CALLERS: String(CALLERS),
    PROCESSES: String(PROCESSES),
    READY_KEY: `${suite.prefix}:ready:${key}`,
  };
  const outputs = await Promise.all(
    Array.from({ length: PROCESSES }, () => run(process.execPath, ['--import', 'tsx', fixture], { env, timeout: 25_000 })),
  );
  return outputs.map(({ stdout }) => JSON.parse(/answers (.*)/.exec(stdout)?.[1] ?? 'null') as string[]);
}

it(`loads a cold key once in all for ${PROCESSES} processes × ${CALLERS} concurrent getOrLoad`, async () => {
  expect(await stampede('cold')).toEqual(Array.from({ length: PROCESSES }, () => ['new']));
  expect(await suite.redis.get(`${suite.prefix}:loads`)).toBe('1');
  expect(await suite.cache().get('cold')).toBe('new');
}, 30_000);

it(`refreshes a stale key once in all for ${PROCESSES} processes × ${CALLERS} concurrent getOrLoad, every caller served stale at once`, async () => {
  const past = { ...systemClock, now: () => Date.now() - 2_000 };
  await suite.cache({ clock: past, ttlMs: 1_000, staleTtlMs: 60_000, jitter: 0 }).set('stale', 'old');
  expect(await stampede('stale')).toEqual(Array.from({ length: PROCESSES }, () => ['old']));
  expect(await suite.redis.get(`${suite.prefix}:loads`)).toBe('1');
  expect(await suite.cache().get('stale')).toBe('new');
}, 30_000);
