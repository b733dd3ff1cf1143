import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { connect, deleteUnder, uniquePrefix } from '../support';

const run = promisify(execFile);
let redis: Redis;
const prefix = uniquePrefix('lock-processes');

beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
});

afterAll(async () => {
  await deleteUnder(redis, prefix);
  redis.disconnect();
});

it('never lets two of 4 processes × 250 contended acquisitions hold the lock at once, with fences 1…1000 in acquisition order', async () => {
  const processes = 4;
  const acquisitions = 250;
  const fixture = fileURLToPath(new URL('./contention.fixture.ts', import.meta.url));
  const env = {
    ...process.env,
    REDIS_URL: inject('redisUrl'),
    PREFIX: prefix,
    KEY: 'shared',
    ACQUISITIONS: String(acquisitions),
    WORKERS: '4',
    START_AT: String(Date.now() + 3_000),
  };
  const outputs = await Promise.all(
    Array.from({ length: processes }, () => run(process.execPath, ['--import', 'tsx', fixture], { env, timeout: 50_000 })),
  );
  const results = outputs.map(({ stdout }) => JSON.parse(stdout) as { acquired: number; overlaps: number; lostReleases: number });
  expect(results).toEqual(Array.from({ length: processes }, () => ({ acquired: acquisitions, overlaps: 0, lostReleases: 0 })));

  // Appended inside the lock, so the list is in acquisition order: every fence once, each one up.
  const fences = (await redis.lrange(`${prefix}:fences`, 0, -1)).map(Number);
  expect(fences).toEqual(Array.from({ length: processes * acquisitions }, (_, i) => i + 1));
  expect(await redis.get(`${prefix}:inside`)).toBe('0');
}, 60_000);
