/**
 * RedisQueue across worker processes: 3 processes × concurrency 10 consume 5,000 jobs while one
 * of them is SIGKILLed mid-run and replaced. Every job completes; none runs twice at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { RedisQueue } from '../../src/redis/index';
import { connect, deleteUnder, uniquePrefix } from './support';

let redis: Redis;
const prefix = uniquePrefix('queue-processes');
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await deleteUnder(redis, prefix);
  redis.disconnect();
});

/** Starts a worker process and resolves once it runs. */
async function startWorker(): Promise<ChildProcess> {
  const fixture = fileURLToPath(new URL('./queue-worker.fixture.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, REDIS_URL: inject('redisUrl'), PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
  return child;
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

it('loses no job and runs none twice at once while a worker process is SIGKILLed and restarted', async () => {
  const total = 5_000;
  const queue = new RedisQueue({ redis, name: 'no-loss', prefix, registry: false });
  for (let start = 0; start < total; start += 1_000) {
    await queue.addBulk(Array.from({ length: 1_000 }, (_, i) => ({ type: 't', payload: start + i })));
  }
  const workers = await Promise.all([startWorker(), startWorker(), startWorker()]);
  await until(async () => (await queue.stats()).completed >= 1_000, 30_000);
  const victim = workers[0] as ChildProcess;
  victim.kill('SIGKILL');
  await once(victim, 'exit');
  const replacement = await startWorker();
  await until(async () => (await queue.stats()).completed === total, 60_000);
  const survivors = [workers[1], workers[2], replacement] as ChildProcess[];
  for (const child of survivors) child.kill('SIGTERM');
  await Promise.all(survivors.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));

  expect(await queue.stats()).toMatchObject({ ready: 0, delayed: 0, active: 0, dead: 0, completed: total });
  const victimPid = String(victim.pid);
  const entries = await redis.lrange(`${prefix}:log`, 0, -1);
  const runner = new Map<string, string>();
  const ends = new Map<string, number>();
  const diedMidJob = new Set<string>();
  const overlaps: string[] = [];
  for (const entry of entries) {
    const [kind, id, pid] = entry.split('|') as [string, string, string];
    if (kind === 'S') {
      const current = runner.get(id);
      if (current !== undefined && current !== victimPid) overlaps.push(`${id} started by ${pid} while ${current} ran it`);
      if (current === victimPid) diedMidJob.add(id);
      runner.set(id, pid);
    } else {
      runner.delete(id);
      ends.set(id, (ends.get(id) ?? 0) + 1);
    }
  }
  for (const [id, pid] of runner) if (pid === victimPid) diedMidJob.add(id);
  // A job the victim finished but could not acknowledge before it died ran again: allowed.
  const ranByVictim = new Set(entries.filter((entry) => entry.endsWith(`|${victimPid}`)).map((entry) => entry.split('|')[1] as string));
  expect(overlaps).toEqual([]);
  const ids = Array.from({ length: total }, (_, i) => String(i + 1));
  const missing = ids.filter((id) => (ends.get(id) ?? 0) === 0);
  const twice = ids.filter((id) => (ends.get(id) ?? 0) > 1 && !ranByVictim.has(id));
  expect(missing).toEqual([]);
  expect(twice).toEqual([]);
  expect(diedMidJob.size).toBeGreaterThan(0);
}, 120_000);
