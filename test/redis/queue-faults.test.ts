/**
 * RedisQueue under faults, on throw-away servers and in child processes: a Redis restart with
 * appendonly, a killed blocking connection, and a process that must exit after close().
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isBulwarkError } from '../../src/core/errors';
import { Registry } from '../../src/core/registry';
import { RedisQueue } from '../../src/redis/index';
import { redisCommands, startRedisServer, type RedisServerHandle } from '../support/redis-server';
import { connect, deleteUnder, uniquePrefix } from './support';
import { nextEvents } from './queue-support';

/** Waits for clients blocked in BLPOP on `url`, sends each `command(id)`, and returns how many. */
async function onBlockedPops(url: string, command: (id: string) => string[]): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const [list] = await redisCommands(url, [['CLIENT', 'LIST']]);
    const ids = String(list)
      .split('\n')
      .filter((line) => / cmd=blpop /.test(line))
      .map((line) => /id=(\d+)/.exec(line)?.[1] as string);
    for (const id of ids) await redisCommands(url, [command(id)]);
    if (ids.length > 0) return ids.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return 0;
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});

afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('RedisQueue across a Redis restart (appendonly yes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-queue-aof-'));
  const args = ['--appendonly', 'yes', '--dir', dir];
  let server: RedisServerHandle;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedisServer({ extraArgs: args });
    redis = await connect(server.url);
    redis.on('error', () => {}); // the test's own connection sees the restart too
  });

  afterAll(async () => {
    redis.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no job, pauses while Redis is down and resumes by itself', async () => {
    const queue = new RedisQueue({ redis, name: 'restart', registry: false, redisTimeoutMs: 500 });
    const total = 1_000;
    await queue.addBulk(Array.from({ length: total }, (_, i) => ({ type: 't', payload: i })));
    const ran = new Set<number>();
    const paused = nextEvents(queue, 'pause', 1, 15_000);
    const resumed = nextEvents(queue, 'resume', 1, 15_000);
    const someDone = nextEvents(queue, 'completed', 200);
    const worker = queue.process(
      async (job) => {
        ran.add(job.payload as number);
        await new Promise((resolve) => setTimeout(resolve, 2));
      },
      { concurrency: 10, blockMs: 100 },
    );
    await someDone;
    const port = server.port;
    await server.stop(); // SIGTERM: the AOF is fsynced on shutdown
    await paused;
    // A producer call while Redis is down fails within redisTimeoutMs, with a bulwark error.
    const refusedAt = Date.now();
    const refused = await queue.add('t', -1).catch((error: unknown) => error);
    expect(isBulwarkError(refused)).toBe(true);
    expect(Date.now() - refusedAt).toBeLessThan(500 + 250);
    server = await startRedisServer({ port, extraArgs: args });
    await resumed;
    const deadline = Date.now() + 15_000;
    while ((await queue.stats().catch(() => undefined))?.completed !== total && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await worker.close();
    expect(await queue.stats()).toMatchObject({ ready: 0, delayed: 0, active: 0, dead: 0, completed: total });
    expect(ran.size).toBe(total);
  });

  it('resumes when its blocking connection is killed (CLIENT KILL) while idle', async () => {
    const queue = new RedisQueue({ redis, name: 'killed-blocker', registry: false });
    const worker = queue.process(() => {}, { blockMs: 5_000 });
    const killed = await onBlockedPops(server.url, (id) => ['CLIENT', 'KILL', 'ID', id]);
    expect(killed).toBe(1);
    const done = nextEvents(queue, 'completed', 1, 5_000);
    const addedAt = Date.now();
    await queue.add('t', 1);
    await done;
    expect(Date.now() - addedAt).toBeLessThan(2_500);
    // A failover answers a blocked pop with -UNBLOCKED (bullmq #648): the worker goes on.
    const unblocked = await onBlockedPops(server.url, (id) => ['CLIENT', 'UNBLOCK', id, 'ERROR']);
    expect(unblocked).toBe(1);
    const again = nextEvents(queue, 'completed', 1, 5_000);
    await queue.add('t', 2);
    await again;
    await worker.close();
  });
});

describe('RedisQueue when Redis is down at start', () => {
  it('starts paused, then resumes by itself once Redis answers', async () => {
    const first = await startRedisServer();
    const port = first.port;
    const redis = await connect(first.url);
    redis.on('error', () => {});
    await first.stop();
    const registry = new Registry();
    const queue = new RedisQueue({ redis, name: 'down-at-start', registry, redisTimeoutMs: 200 });
    const paused = nextEvents(queue, 'pause', 1);
    const resumed = nextEvents(queue, 'resume', 1, 15_000);
    const worker = queue.process(() => {}, { blockMs: 100 });
    await paused;
    expect(worker.paused).toBe(true);
    expect(registry.health()).toMatchObject({ status: 'degraded', instances: { 'down-at-start': { healthy: false, state: 'paused' } } });
    const second = await startRedisServer({ port });
    try {
      await resumed;
      expect(registry.health().status).toBe('ok');
      const done = nextEvents(queue, 'completed', 1);
      await queue.add('t', 1);
      await done;
      await worker.close();
    } finally {
      redis.disconnect();
      await second.stop();
    }
  });
});

describe('RedisQueue close() in a process', () => {
  let redis: Redis;
  const prefix = uniquePrefix('queue-close');

  beforeAll(async () => {
    redis = await connect(inject('redisUrl'));
  });

  afterAll(async () => {
    await deleteUnder(redis, prefix);
    redis.disconnect();
  });

  it('is prompt with jobs in flight, returns their leases, and lets the process exit', async () => {
    const fixture = fileURLToPath(new URL('./queue-close.fixture.ts', import.meta.url));
    const startedAt = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fixture], {
      env: { ...process.env, REDIS_URL: inject('redisUrl'), PREFIX: prefix },
      timeout: 15_000,
    });
    const closedInMs = Number(/closed in (\d+) ms/.exec(stdout)?.[1]);
    expect(closedInMs).toBeGreaterThanOrEqual(100);
    expect(closedInMs).toBeLessThan(1_000);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    const queue = new RedisQueue({ redis, name: 'close', prefix, registry: false });
    expect(await queue.stats()).toMatchObject({ ready: 3, active: 0 });
  });
});
