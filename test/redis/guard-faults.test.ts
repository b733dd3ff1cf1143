import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CircuitOpenError, CircuitState, type RetryStats } from '../../src/index';
import { guardOf, guardRedis } from '../../src/redis/index';
import { redisCommands, startRedisServer, type RedisServerHandle } from '../support/redis-server';
import { heldCommands, rejectionOf } from './guard-support';
import { sleep } from './support';

const servers: RedisServerHandle[] = [];
const clients: Redis[] = [];

/** A throw-away server, stopped after the test. */
async function server(extraArgs: readonly string[] = [], port?: number): Promise<RedisServerHandle> {
  const started = await startRedisServer(port === undefined ? { extraArgs } : { extraArgs, port });
  servers.push(started);
  return started;
}

/** An ioredis client with its defaults (offline queue on) but quick reconnects, closed after the test. */
function client(url: string, options: { enableReadyCheck?: boolean } = {}): Redis {
  const redis = new Redis(url, { retryStrategy: () => 50, ...options });
  redis.on('error', () => {});
  clients.push(redis);
  return redis;
}

afterEach(async () => {
  for (const redis of clients.splice(0)) redis.disconnect();
  await Promise.all(servers.splice(0).map((handle) => handle.stop()));
});

describe('guardRedis through an outage (SIGKILL, then a restart on the same port)', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('ends every call within its timeout, opens, refuses at once holding nothing in ioredis, and recovers by itself', async () => {
    const redisServer = await server();
    const redis = client(redisServer.url);
    const timeoutMs = 150;
    const recoveryTimeoutMs = 1_000;
    const guarded = guardRedis(redis, {
      registry: false,
      timeout: { timeoutMs },
      circuitBreaker: { failureThreshold: 5, recoveryTimeoutMs },
    });
    const breaker = guardOf(guarded)?.circuitBreaker;
    await guarded.set('k', 'v');

    // 20 callers in a loop, each timing its calls, while the server is killed under them.
    const durations: number[] = [];
    const outcomes: unknown[] = [];
    let running = true;
    const callers = Array.from({ length: 20 }, async () => {
      while (running) {
        const startedAt = performance.now();
        outcomes.push(await guarded.get('k').catch((error: unknown) => error));
        durations.push(performance.now() - startedAt);
        // A refusal settles in a microtask: let timers run between calls.
        await new Promise(setImmediate);
      }
    });
    await sleep(50);
    await redisServer.stop({ kill: true });
    for (let waited = 0; breaker?.state !== CircuitState.Open && waited < 2_000; waited += 10) await sleep(10);
    expect(breaker?.state).toBe(CircuitState.Open);
    await sleep(100);
    running = false;
    await Promise.all(callers);
    expect(Math.max(...durations)).toBeLessThanOrEqual(timeoutMs + 50);
    expect(outcomes.some((outcome) => outcome instanceof CircuitOpenError)).toBe(true);

    const held = heldCommands(redis);
    const refusedAt = performance.now();
    const refusals = await Promise.all(Array.from({ length: 500 }, () => rejectionOf(guarded.set('k', 'w'))));
    expect(performance.now() - refusedAt).toBeLessThan(50);
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(CircuitOpenError);
    expect(heldCommands(redis)).toEqual(held);
    expect(held.offline).toBe(0);
    expect(held.sent).toBeLessThanOrEqual(20);

    await server([], redisServer.port);
    const restartedAt = Date.now();
    let value: unknown;
    while (value !== 'v2' && Date.now() - restartedAt < recoveryTimeoutMs + 3_000) {
      value = await guarded.set('k', 'v2').then(() => guarded.get('k')).catch(() => undefined);
      if (value !== 'v2') await sleep(50);
    }
    expect(value).toBe('v2');
    expect(breaker?.state).toBe(CircuitState.Closed);
    expect(unhandled).toEqual([]);
  });
});

describe('guardRedis on failover replies', () => {
  it('counts READONLY from a replica as failures: writes open the circuit', async () => {
    const primary = await server();
    const replica = await server();
    await redisCommands(replica.url, [['REPLICAOF', primary.host, String(primary.port)]]);
    const guarded = guardRedis(client(replica.url), { registry: false, circuitBreaker: { failureThreshold: 3 } });
    const errors = [];
    for (let i = 0; i < 3; i++) errors.push(await rejectionOf(guarded.set('k', 'v')));
    expect(errors.map((error) => error.message.split(' ')[0])).toEqual(['READONLY', 'READONLY', 'READONLY']);
    expect(guardOf(guarded)?.circuitBreaker?.state).toBe(CircuitState.Open);
    expect(await rejectionOf(guarded.get('k'))).toBeInstanceOf(CircuitOpenError);
  });

  it('counts LOADING from a server loading its dataset as failures', async () => {
    // A dataset to load: 20 000 keys saved by one server, loaded slowly by another
    // (`key-load-delay` µs per key, serving clients every KiB loaded), so that it answers LOADING.
    const writer = await server();
    const filler = client(writer.url);
    const pipeline = filler.pipeline();
    for (let i = 0; i < 20_000; i++) pipeline.set(`key:${i}`, 'x');
    await pipeline.exec();
    await filler.save();
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-guard-loading-'));
    try {
      copyFileSync(join(writer.dir, 'dump.rdb'), join(dir, 'dump.rdb'));
      const loading = await server(['--dir', dir, '--key-load-delay', '200', '--loading-process-events-interval-bytes', '1024']);
      // enableReadyCheck: false, or ioredis itself would wait for the load to end before 'ready'.
      const guarded = guardRedis(client(loading.url, { enableReadyCheck: false }), {
        registry: false,
        circuitBreaker: { failureThreshold: 3 },
      });
      const errors = [];
      for (let i = 0; i < 3; i++) errors.push(await rejectionOf(guarded.get('key:1')));
      expect(errors.map((error) => error.message.split(' ')[0])).toEqual(['LOADING', 'LOADING', 'LOADING']);
      expect(guardOf(guarded)?.circuitBreaker?.state).toBe(CircuitState.Open);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('guardRedis retries', () => {
  it('retries reads and idempotent writes that timed out, never other writes', async () => {
    const paused = await server();
    const redis = client(paused.url);
    const guarded = guardRedis(redis, {
      registry: false,
      timeout: { timeoutMs: 100 },
      circuitBreaker: false,
      retry: { maxAttempts: 2, backoff: 'constant', initialDelayMs: 1, jitter: 'none' },
      idempotent: ['SET'],
    });
    await guarded.set('k', '0');
    expect(guardOf(guarded)?.stats().layers[0]?.name).toMatch(/:retry$/);
    const retries = (): number => (guardOf(guarded)?.stats().layers[0]?.stats as RetryStats).retries;
    /** Tries `call` makes while the server stalls the first (paused for longer than its timeout) and answers a second. */
    const attempts = async (call: () => Promise<unknown>): Promise<number> => {
      const before = retries();
      await redis.call('CLIENT', 'PAUSE', '150', 'ALL');
      await call().catch(() => undefined);
      return retries() - before + 1;
    };
    expect(await attempts(() => guarded.get('k'))).toBe(2);
    expect(await attempts(() => guarded.set('k', '1'))).toBe(2);
    expect(await attempts(() => guarded.incr('k2'))).toBe(1);
    expect(await attempts(() => guarded.pipeline().get('k').exec())).toBe(1);
    await sleep(200);
  });
});
