import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectFromRedis, RedisMetricsSink } from '../../../src/redis/index';
import { startRedisServer, type RedisServerHandle } from '../../support/redis-server';
import { connect, sleep, uniquePrefix } from '../support';
import { samples } from './support';

/** A throw-away server whose data survives a SIGKILL (append-only file, fsync at every write, in a directory we keep). */
const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-metrics-faults-'));
const durable = ['--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'always'];
let server: RedisServerHandle;
let redis: Redis;
let observer: Redis;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = await startRedisServer({ extraArgs: durable });
  redis = await connect(server.url);
  redis.on('error', () => {});
  observer = await connect(server.url);
  observer.on('error', () => {});
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  redis.disconnect();
  observer.disconnect();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('Redis SIGKILLed while a sink flushes', () => {
  it('leaves the counting calls alone, crashes nothing, and the counter catches up after the restart without ever going down', async () => {
    const prefix = uniquePrefix('metrics-kill');
    const registry = new Registry();
    const counter = new Counter({ name: 'work_total', help: 'Work', registers: [registry] });
    const sink = new RedisMetricsSink({ redis, prefix, flushIntervalMs: 20, timeoutMs: 200 }).track(registry);
    const seen: number[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const value = await collectFromRedis({ redis: observer, prefix }).then((text) => samples(text).get('work_total'), () => undefined);
        if (value !== undefined) seen.push(value);
        await sleep(10);
      }
    })();

    let counted = 0;
    const countFor = async (ms: number): Promise<void> => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        counter.inc();
        counted++;
        await sleep(1);
      }
    };
    await countFor(300);
    await server.stop({ kill: true });
    await countFor(400);
    server = await startRedisServer({ port: server.port, extraArgs: durable });
    await countFor(200);

    // The breaker lets a flush through again after its recovery time; then everything counted is in Redis.
    await until(async () => samples(await collectFromRedis({ redis: observer, prefix })).get('work_total') === counted, 15_000);
    watching = false;
    await watcher;
    // The watcher's last read may have started before the last flush: read once more.
    seen.push(samples(await collectFromRedis({ redis: observer, prefix })).get('work_total') as number);
    await sink.dispose();
    await observer.del(`{${prefix}}:m:work_total`, `{${prefix}}:seq`);

    expect(sink.stats().failedFlushes).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.every((value, i) => i === 0 || value >= (seen[i - 1] as number))).toBe(true);
    expect(seen.at(-1)).toBe(counted);
    expect(unhandled).toEqual([]);
  }, 30_000);

  it('does not count twice a flush that ran but whose reply was lost (the server paused past the flush timeout)', async () => {
    const prefix = uniquePrefix('metrics-lost-reply');
    const registry = new Registry();
    const counter = new Counter({ name: 'paid_total', help: 'Paid', registers: [registry] });
    const sink = new RedisMetricsSink({ redis, prefix, flushIntervalMs: 60_000, timeoutMs: 300 }).track(registry);
    const key = `{${prefix}}:m:paid_total`;
    try {
      counter.inc(5);
      await sink.flush();
      counter.inc(3);
      process.kill(server.pid, 'SIGSTOP');
      try {
        await expect(sink.flush()).rejects.toThrow();
      } finally {
        process.kill(server.pid, 'SIGCONT');
      }
      // The script was sent before the pause: it runs once the server resumes; only its reply was lost.
      await until(async () => (await observer.hget(key, '_total:{}')) === '8', 5_000);
      counter.inc(1);
      await sink.flush();
      expect(await observer.hget(key, '_total:{}')).toBe('9');
      expect(samples(await collectFromRedis({ redis: observer, prefix })).get('paid_total')).toBe(9);
    } finally {
      await sink.dispose();
      await observer.del(key, `{${prefix}}:seq`);
    }
  });
});

describe('expiry', () => {
  it("expires all of a metric's series, suffixes and metadata together", async () => {
    const prefix = uniquePrefix('metrics-expiry');
    const sink = new RedisMetricsSink({ redis, prefix, flushIntervalMs: 60_000, ttlMs: 300 });
    sink.record({ name: 'h', help: 'H', type: 'histogram', labelNames: ['a'], buckets: [1] }, { a: 'x' }, 0.5);
    sink.record({ name: 'h', help: 'H', type: 'histogram', labelNames: ['a'], buckets: [1] }, { a: 'y' }, 2);
    await sink.dispose();
    const sizes: number[] = [];
    await until(async () => {
      sizes.push(await observer.hlen(`{${prefix}}:m:h`));
      return sizes.at(-1) === 0;
    }, 5_000);
    // 1 metadata field + per series 2 buckets, sum, count, created: 11 fields, then none at once.
    expect(new Set(sizes)).toEqual(new Set([11, 0]));
    await until(async () => (await observer.exists(`{${prefix}}:seq`)) === 0, 5_000);
  });
});
