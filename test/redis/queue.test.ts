import { Redis as Redis5 } from 'ioredis5';
import { describe, expect, inject, it, vi } from 'vitest';
import { AdaptiveConcurrencyLimiter } from '../../src/adaptive-concurrency/index';
import { CircuitBreaker, CircuitOpenError, CircuitState } from '../../src/circuit-breaker/index';
import { BulwarkError, ConfigError, isBulwarkError } from '../../src/core/errors';
import { bus } from '../../src/bus';
import { Retry } from '../../src/retry/index';
import { OperationTimeoutError } from '../../src/timeout/index';
import { setLogger } from '../../src/core/logger';
import type { Priority } from '../../src/core/policy';
import { Registry } from '../../src/core/registry';
import { JobPayloadError, RedisQueue, UnknownJobTypeError, UnrecoverableError, type Job, type WorkerOptions } from '../../src/redis/index';
import { deferred } from '../support/async';
import { loseReplyOnce, nextEvents, onWaitingFetch, testQueue, useTestQueues, waitingFetchSent } from './queue-support';

const suite = useTestQueues(inject('redisUrl'));
const queueFor = suite.queueFor;

/** Runs 40 jobs of 3 ms and returns how many ran at once at most. */
async function peakConcurrency(queue: RedisQueue, options: WorkerOptions): Promise<number> {
  await queue.addBulk(Array.from({ length: 40 }, (_, i) => ({ type: 't', payload: i })));
  let running = 0;
  let peak = 0;
  const done = nextEvents(queue, 'completed', 40);
  const worker = queue.process(async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, 3));
    running--;
  }, options);
  await done;
  await worker.close();
  return peak;
}

describe('RedisQueue options', () => {
  it('throws one ConfigError naming every bad option', () => {
    const bad = () =>
      new RedisQueue({ redis: suite.redis, name: 'a{b}', prefix: '', maxPayloadBytes: 0, lowWaterMark: 5, highWaterMark: 5, extra: 1 } as never);
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (error) {
      expect((error as ConfigError).issues.map((issue) => issue.path).sort()).toEqual(['extra', 'lowWaterMark', 'maxPayloadBytes', 'name', 'prefix']);
    }
    expect(() => new RedisQueue({ redis: {} as never, name: 'q' })).toThrow(/redis: expected an ioredis Redis or Cluster/);
  });

  it('refuses bad worker options and bad handlers with a ConfigError', () => {
    const queue = queueFor('worker-options');
    const limiter = new AdaptiveConcurrencyLimiter({ registry: false });
    expect(() => queue.process(() => {}, { concurrency: 0, leaseMs: 1, limiter } as never)).toThrow(/concurrency[\s\S]*leaseMs[\s\S]*limiter/);
    expect(() => queue.process({ a: 'not a function' } as never)).toThrow(ConfigError);
  });

  it('rejects bad add options with a ConfigError naming each, writing nothing', async () => {
    const queue = queueFor('add-options');
    const error = await queue
      .add('', 1, { priority: 'urgent', delayMs: -1, maxAttempts: 0, colour: 'red', jobId: '42', backoff: { jitter: 'lots' } } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['type', 'colour', 'priority', 'delayMs', 'jobId', 'maxAttempts', 'backoff.jitter']);
    expect((await queue.stats()).ready).toBe(0);
  });
});

describe('RedisQueue producer', () => {
  it('adds a job and reads it back with its options', async () => {
    const queue = queueFor('add');
    const job = await queue.add('email', { to: 'ada' }, { priority: 'high', maxAttempts: 5, timeoutMs: 1_000, metadata: { trace: 't1' }, backoff: { type: 'constant', initialDelayMs: 10 } });
    expect(job).toMatchObject({ type: 'email', payload: { to: 'ada' }, priority: 'high', attempts: 0, maxAttempts: 5, state: 'ready' });
    const read = await queue.get(job.id);
    expect(read).toMatchObject({ id: job.id, type: 'email', payload: { to: 'ada' }, priority: 'high', maxAttempts: 5, state: 'ready', timeoutMs: 1_000, metadata: { trace: 't1' }, backoff: { type: 'constant', initialDelayMs: 10 }, addedAt: job.addedAt });
    expect(await queue.get('nope')).toBeUndefined();
  });

  it('keeps one job per jobId: a second add returns the first job and writes nothing', async () => {
    const queue = queueFor('idempotent');
    const first = await queue.add('a', { v: 1 }, { jobId: 'order-42' });
    const second = await queue.add('a', { v: 2 }, { jobId: 'order-42', priority: 'critical' });
    const [third] = await queue.addBulk([{ type: 'a', payload: { v: 3 }, options: { jobId: 'order-42' } }]);
    expect(first.id).toBe('order-42');
    expect(second).toMatchObject({ id: 'order-42', payload: { v: 1 }, priority: 'normal' });
    expect(third).toMatchObject({ id: 'order-42', payload: { v: 1 } });
    expect((await queue.stats()).ready).toBe(1);
  });

  it('refuses a payload over maxPayloadBytes or not JSON-serialisable with a JobPayloadError, writing nothing', async () => {
    const queue = queueFor('payload', { maxPayloadBytes: 1_000 });
    const big = await queue.add('a', 'é'.repeat(600)).catch((e: unknown) => e);
    expect(big).toBeInstanceOf(JobPayloadError);
    expect((big as JobPayloadError).message).toMatch(/1202 bytes encoded, over maxPayloadBytes \(1000\)/);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(await queue.add('a', cyclic).catch((e: unknown) => e)).toBeInstanceOf(JobPayloadError);
    expect(await queue.add('a', () => 1).catch((e: unknown) => e)).toBeInstanceOf(JobPayloadError);
    const bulk = await queue.addBulk<unknown>([{ type: 'a', payload: 1 }, { type: 'a', payload: 'x'.repeat(2_000) }]).catch((e: unknown) => e);
    expect(bulk).toBeInstanceOf(JobPayloadError);
    expect((await queue.stats()).ready).toBe(0);
    expect(isBulwarkError(big, 'JOB_PAYLOAD_INVALID')).toBe(true);
  });

  it('adds 20,000 jobs in bulk in one round trip, in order', async () => {
    const queue = queueFor('bulk');
    const send = vi.spyOn(suite.redis, 'sendCommand');
    const jobs = await queue.addBulk(Array.from({ length: 20_000 }, (_, i) => ({ type: 't', payload: i })));
    expect(send).toHaveBeenCalledTimes(1);
    expect(jobs.map((job) => job.payload)).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(new Set(jobs.map((job) => job.id)).size).toBe(20_000);
    expect((await queue.stats()).ready).toBe(20_000);
  });

  it('keeps each job of a mixed bulk add its own type, priority, tries, options and delay', async () => {
    const queue = queueFor('bulk-mixed');
    const shapes = [
      { type: 'a', options: {} },
      { type: 'b', options: { priority: 'high', maxAttempts: 7 } },
      { type: 'a', options: { delayMs: 60_000 } },
      { type: 'a', options: { timeoutMs: 5_000, metadata: { m: 1 } } },
    ] as const;
    const bulk = [0, 1, 0, 2, 3, 1, 0, 3].map((shape, i) => ({ type: shapes[shape]!.type, payload: i, options: { ...shapes[shape]!.options } }));
    const jobs = await queue.addBulk(bulk);
    const read = await Promise.all(jobs.map((job) => queue.get(job.id)));
    expect(read.map((job) => [job?.type, job?.payload, job?.priority, job?.maxAttempts, job?.state, job?.timeoutMs, job?.metadata])).toEqual([
      ['a', 0, 'normal', 3, 'ready', undefined, undefined],
      ['b', 1, 'high', 7, 'ready', undefined, undefined],
      ['a', 2, 'normal', 3, 'ready', undefined, undefined],
      ['a', 3, 'normal', 3, 'delayed', undefined, undefined],
      ['a', 4, 'normal', 3, 'ready', 5_000, { m: 1 }],
      ['b', 5, 'high', 7, 'ready', undefined, undefined],
      ['a', 6, 'normal', 3, 'ready', undefined, undefined],
      ['a', 7, 'normal', 3, 'ready', 5_000, { m: 1 }],
    ]);
    expect(await queue.stats()).toMatchObject({ ready: 7, delayed: 1, readyByPriority: { high: 2, normal: 5 } });
  });

  it('counts ready jobs by priority and cancels jobs that are not active', async () => {
    const queue = queueFor('stats');
    const [a, , c] = await queue.addBulk([
      { type: 't', payload: 1, options: { priority: 'critical' } },
      { type: 't', payload: 2, options: { priority: 'low' } },
      { type: 't', payload: 3, options: { delayMs: 60_000 } },
    ]);
    expect(await queue.stats()).toEqual({ ready: 2, readyByPriority: { critical: 1, high: 0, normal: 0, low: 1 }, delayed: 1, active: 0, dead: 0, completed: 0 });
    expect(await queue.cancel((a as Job).id)).toBe(true);
    expect(await queue.cancel((c as Job).id)).toBe(true);
    expect(await queue.cancel((c as Job).id)).toBe(false);
    expect(await queue.get((a as Job).id)).toBeUndefined();
    expect((await queue.stats()).ready).toBe(1);
  });

  it('stamps jobs with the Redis server time in ms', async () => {
    const queue = queueFor('stamp');
    const serverTime = async (): Promise<{ ms: number; micros: number }> => {
      const [seconds, micros] = await suite.redis.time();
      return { ms: Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000), micros: Number(micros) };
    };
    // Adds until some ran while TIME's microseconds had fewer than 6 digits (the first tenth of
    // each second), as well as others: each is stamped between the times read around it.
    let short = 0;
    for (let i = 0; short < 3 && i < 3_000; i++) {
      const before = await serverTime();
      const job = await queue.add('t', i);
      const after = await serverTime();
      if (before.micros < 100_000 && after.micros < 100_000) short++;
      expect(job.addedAt).toBeGreaterThanOrEqual(before.ms);
      expect(job.addedAt).toBeLessThanOrEqual(after.ms);
    }
    expect(short).toBe(3);
  });

  it('keeps the wake list to one element while no worker waits, and an idle worker still wakes for the next add', async () => {
    const queue = queueFor('wake-list');
    for (let i = 0; i < 5; i++) await queue.add('t', i);
    await queue.add('t', 'later', { delayMs: 60_000 });
    await queue.addBulk([{ type: 't', payload: 'a' }, { type: 't', payload: 'b' }]);
    expect(await suite.redis.lrange(queue.keys.wake, 0, -1)).toEqual(['1']);
    const started: unknown[] = [];
    const waiting = waitingFetchSent(suite.redis);
    const worker = queue.process((job) => {
      started.push(job.payload);
    }, { blockMs: 5_000 });
    await vi.waitFor(() => expect(started).toHaveLength(7));
    await waiting;
    await queue.add('t', 'wakes it');
    await vi.waitFor(() => expect(started).toHaveLength(8), { timeout: 1_000 });
    await worker.close();
  });

  it('rejects adds Redis does not answer within redisTimeoutMs, then refuses them at once while its breaker is open', async () => {
    const circuitBreaker = new CircuitBreaker({ name: 'hung-add-breaker', failureThreshold: 2, recoveryTimeoutMs: 60_000, registry: false });
    const queue = queueFor('hung-add', { redisTimeoutMs: 50, circuitBreaker });
    // The connection stays ready, but no script run is ever answered.
    const send = suite.redis.sendCommand.bind(suite.redis);
    vi.spyOn(suite.redis, 'sendCommand').mockImplementation((command, stream) =>
      (command as unknown as { name: string }).name === 'evalsha' ? new Promise(() => {}) : send(command, stream),
    );
    const timedOut = await Promise.all([queue.add('t', 1).catch((error: unknown) => error), queue.add('t', 2).catch((error: unknown) => error)]);
    expect(timedOut.map((error) => error instanceof OperationTimeoutError)).toEqual([true, true]);
    expect(circuitBreaker.state).toBe(CircuitState.Open);
    await expect(queue.add('t', 3)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('emits added on the instance and on the bus', async () => {
    const queue = queueFor('added');
    const seen: string[] = [];
    const stop = bus.on('redisQueue:added' as never, ((event: { jobId: string }) => seen.push(`bus:${event.jobId}`)) as never);
    queue.events.on('added', (event) => seen.push(`local:${event.jobId}:${event.state}`));
    const job = await queue.add('t', 1, { delayMs: 10_000 });
    stop();
    expect(seen).toEqual([`local:${job.id}:delayed`, `bus:${job.id}`]);
  });

  it('joins a registry with its local counters, and leaves nothing registered that calls Redis', async () => {
    const registry = new Registry();
    const queue = queueFor('registry', { registry });
    await queue.add('t', 1);
    const health = registry.health();
    expect(health.instances['registry']).toMatchObject({ patternType: 'redisQueue', healthy: true, stats: { added: 1, workers: 0 } });
    expect(JSON.parse(JSON.stringify(health))).toEqual(health);
  });
});

describe('RedisQueue worker', () => {
  it('runs jobs by priority, FIFO within a priority, with one consumer', async () => {
    const queue = queueFor('priority');
    const priorities = ['low', 'normal', 'critical', 'high'] as const satisfies readonly Priority[];
    await queue.addBulk(Array.from({ length: 40 }, (_, i) => ({ type: 't', payload: i, options: { priority: priorities[i % 4] as Priority } })));
    const order: number[] = [];
    const done = nextEvents(queue, 'completed', 40);
    const worker = queue.process(async (job) => {
      order.push(job.payload as number);
    }, { concurrency: 1 });
    await done;
    await worker.close();
    const expected = (['critical', 'high', 'normal', 'low'] as const).flatMap((p) => Array.from({ length: 40 }, (_, i) => i).filter((i) => priorities[i % 4] === p));
    expect(order).toEqual(expected);
  });

  it('routes jobs by type and dead-letters a job of an unknown type with a clear error', async () => {
    const queue = queueFor('routing');
    const ran: string[] = [];
    const dead = nextEvents(queue, 'dead', 2);
    const completed = nextEvents(queue, 'completed', 2);
    await queue.addBulk([
      { type: 'resize', payload: 'img' },
      { type: 'mail', payload: 'hi' },
      { type: 'unknown', payload: '0' },
      { type: 'toString', payload: '1' },
    ]);
    const worker = queue.process({ resize: (job) => void ran.push(`resize:${job.payload}`), mail: (job) => void ran.push(`mail:${job.payload}`) });
    const [event, inherited] = (await dead).sort((a, b) => a.jobType.localeCompare(b.jobType)).reverse();
    await completed;
    await worker.close();
    expect(ran.sort()).toEqual(['mail:hi', 'resize:img']);
    expect(inherited).toMatchObject({ jobType: 'toString', reason: 'unrecoverable' });
    expect(event).toMatchObject({ jobType: 'unknown', reason: 'unrecoverable', attempts: 1 });
    expect(event?.error).toBeInstanceOf(UnknownJobTypeError);
    const job = await queue.get(event!.jobId);
    expect(job).toMatchObject({ state: 'dead', attempts: 1 });
    expect(job?.error?.message).toMatch(/no handler for job type "unknown" \(this worker handles: resize, mail\)/);
  });

  it('sends an UnrecoverableError straight to the dead-letter set, skipping retries', async () => {
    const queue = queueFor('unrecoverable');
    const dead = nextEvents(queue, 'dead', 1);
    const job = await queue.add('charge', { card: 'bad' }, { maxAttempts: 5 });
    let calls = 0;
    const worker = queue.process({
      charge: () => {
        calls++;
        throw new UnrecoverableError('card is invalid');
      },
    });
    const [event] = await dead;
    await worker.close();
    expect(calls).toBe(1);
    expect(event).toMatchObject({ jobId: job.id, reason: 'unrecoverable', attempts: 1 });
    const stored = await queue.get(job.id);
    expect(stored).toMatchObject({ state: 'dead', attempts: 1, error: { message: 'UnrecoverableError: card is invalid' } });
    expect(stored?.error?.stack).toMatch(/UnrecoverableError: card is invalid\n\s+at /);
    expect(new UnrecoverableError('x')).toBeInstanceOf(BulwarkError);
    expect(new UnrecoverableError('x').code).toBe('JOB_UNRECOVERABLE');
  });

  it('retries through the delayed set, then dead-letters with error, stack and attempts; retryDead brings it back', async () => {
    const queue = queueFor('retries', { backoff: { type: 'constant', initialDelayMs: 1, jitter: 'none' } });
    const retrying = nextEvents(queue, 'retrying', 2);
    const dead = nextEvents(queue, 'dead', 1);
    const job = await queue.add('flaky', 1);
    let calls = 0;
    const worker = queue.process(() => {
      calls++;
      throw new Error(`boom ${calls}`);
    });
    const retries = await retrying;
    const [event] = await dead;
    expect(retries.map((r) => [r.attempt, r.delayMs])).toEqual([[1, 1], [2, 1]]);
    expect(event).toMatchObject({ jobId: job.id, attempts: 3, reason: 'exhausted' });
    const stored = await queue.get(job.id);
    expect(stored).toMatchObject({ state: 'dead', attempts: 3, maxAttempts: 3, error: { message: 'Error: boom 3' } });
    expect(stored?.error?.stack).toContain('boom 3');
    expect(await queue.stats()).toMatchObject({ dead: 1, ready: 0, delayed: 0, active: 0 });

    const again = nextEvents(queue, 'completed', 1);
    calls = 100;
    await worker.close();
    const worker2 = queue.process(() => {});
    expect(await queue.retryDead(job.id)).toBe(true);
    expect(await queue.retryDead(job.id)).toBe(false);
    await again;
    await worker2.close();
    expect(await queue.get(job.id)).toMatchObject({ state: 'completed', attempts: 1 });
  });

  it('cleans completed and dead jobs older than a given age', async () => {
    const queue = queueFor('clean');
    const done = nextEvents(queue, 'completed', 3);
    await queue.addBulk([1, 2, 3].map((payload) => ({ type: 't', payload })));
    const worker = queue.process(() => {});
    await done;
    await worker.close();
    expect(await queue.clean({ state: 'completed', olderThanMs: 60_000 })).toBe(0);
    expect(await queue.clean({ state: 'completed', olderThanMs: 0 })).toBe(3);
    expect((await queue.stats()).completed).toBe(0);
    await expect(queue.clean({ state: 'active', olderThanMs: -1 } as never)).rejects.toThrow(/state[\s\S]*olderThanMs/);
  });

  it('emits active with the wait time and completed with the run time', async () => {
    const queue = queueFor('timing-events');
    const active = nextEvents(queue, 'active', 1);
    const completed = nextEvents(queue, 'completed', 1);
    await queue.add('t', 1);
    const worker = queue.process(async () => {});
    const [start] = await active;
    const [end] = await completed;
    await worker.close();
    expect(start).toMatchObject({ attempt: 1, patternType: 'redisQueue', patternName: 'timing-events' });
    expect(start?.waitMs).toBeGreaterThanOrEqual(0);
    expect(end?.runMs).toBeGreaterThanOrEqual(0);
  });

  it('never runs more than concurrency jobs at once, and takes several jobs per round trip', async () => {
    expect(await peakConcurrency(queueFor('concurrency'), { concurrency: 7 })).toBe(7);
  });

  it('acknowledges jobs that end in the same turn together, each once, riding on its fetches', async () => {
    const queue = queueFor('coalesced');
    await queue.addBulk(Array.from({ length: 2_000 }, (_, payload) => ({ type: 't', payload })));
    const scripts = vi.spyOn(suite.redis, 'sendCommand');
    const done = nextEvents(queue, 'completed', 2_000, 20_000);
    const runs = new Map<string, number>();
    const worker = queue.process((job) => void runs.set(job.id, (runs.get(job.id) ?? 0) + 1), { concurrency: 50 });
    const completions = await done;
    await worker.close();
    const calls = scripts.mock.calls.length;
    scripts.mockRestore();
    expect(runs.size).toBe(2_000);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(new Set(completions.map((event) => event.jobId)).size).toBe(2_000);
    expect(calls).toBeLessThan(2_000 / 10);
    expect(await queue.stats()).toMatchObject({ ready: 0, active: 0, completed: 2_000 });
  });

  it('runs under an AdaptiveConcurrencyLimiter when one is passed', async () => {
    const limiter = new AdaptiveConcurrencyLimiter({ initialLimit: 3, minLimit: 3, maxLimit: 3, registry: false });
    expect(await peakConcurrency(queueFor('limiter'), { limiter })).toBe(3);
  });

  it('runs each job through the extra policy, inside the concurrency limit', async () => {
    const queue = queueFor('policy');
    const retry = new Retry({ maxAttempts: 2, backoff: 'constant', initialDelayMs: 0, registry: false });
    const done = nextEvents(queue, 'completed', 1);
    const job = await queue.add('t', 1);
    let calls = 0;
    const worker = queue.process(() => {
      if (++calls === 1) throw new Error('first call fails');
    }, { policy: retry });
    await done;
    await worker.close();
    expect(calls).toBe(2);
    expect(retry.stats()).toMatchObject({ retries: 1 });
    expect(await queue.get(job.id)).toMatchObject({ state: 'completed', attempts: 1 });
  });

  it('closes its workers when disposed, handing their jobs back', async () => {
    const queue = queueFor('dispose');
    await queue.add('t', 1);
    const started = nextEvents(queue, 'active', 1);
    const worker = queue.process(() => new Promise(() => {}));
    await started;
    await queue[Symbol.asyncDispose]();
    expect(worker.running).toBe(0);
    expect(await queue.stats()).toMatchObject({ ready: 1, active: 0 });
  });

  it('waits for a limiter it shares with other work, taking jobs once it has room', async () => {
    const queue = queueFor('shared-limiter');
    const limiter = new AdaptiveConcurrencyLimiter({ initialLimit: 1, minLimit: 1, maxLimit: 1, registry: false });
    const permit = await limiter.acquire();
    await queue.add('t', 1);
    const done = nextEvents(queue, 'completed', 1);
    const worker = queue.process(() => {}, { limiter });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await queue.stats()).ready).toBe(1);
    permit.release('success');
    await done;
    await worker.close();
  });

  it('reads the time from the client with timeSource client', async () => {
    const queue = queueFor('client-time', { timeSource: 'client' });
    const realNow = Date.now;
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 3_600_000);
    const job = await queue.add('t', 1);
    vi.mocked(Date.now).mockRestore();
    expect(Math.abs(job.addedAt - (realNow() - 3_600_000))).toBeLessThan(1_000);
  });

  it('does not complete or fail a job whose lease it lost', async () => {
    const queue = queueFor('lease-check');
    const job = await queue.add('t', 1, { maxAttempts: 1 });
    const started = deferred<void>();
    const finish = deferred<void>();
    const worker = queue.process(async () => {
      started.resolve();
      await finish.promise;
    });
    await started.promise;
    // Another worker took the job over (as after a stall): the lease token is no longer ours.
    await suite.redis.hset(`${queue.keys.jobs}${job.id}`, 'ls', 'someone-else');
    const warned = deferred<string>();
    setLogger({ error: () => {}, info: () => {}, debug: () => {}, warn: (_, message) => warned.resolve(message ?? '') });
    finish.resolve();
    expect(await warned.promise).toMatch(/lost its lease/);
    setLogger();
    await worker.close();
    expect(await queue.get(job.id)).toMatchObject({ state: 'active' });
    expect((await queue.stats()).completed).toBe(0);
  });

  it("aborts a running job's ctx.signal when a lease extension finds the lease lost", async () => {
    const queue = queueFor('lease-lost-signal');
    const job = await queue.add('t', 1);
    const started = deferred<void>();
    const reason = deferred<unknown>();
    setLogger({ error: () => {}, info: () => {}, debug: () => {}, warn: () => {} });
    const worker = queue.process(
      (_job, ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            reason.resolve(ctx.signal.reason);
            resolve(undefined);
          });
          started.resolve();
        }),
      { leaseMs: 300 },
    );
    await started.promise;
    await suite.redis.hset(`${queue.keys.jobs}${job.id}`, 'ls', 'someone-else');
    expect(await reason.promise).toMatchObject({ name: 'JobAbortedError', reason: 'leaseLost' });
    await worker.close();
    setLogger();
  });

  it('pauses when a fetch fails and, on resuming, hands back the jobs of a fetch whose reply was lost', async () => {
    const queue = queueFor('lost-reply');
    await queue.addBulk([1, 2, 3].map((payload) => ({ type: 't', payload })));
    // The server runs this fetch; its reply is lost on the way back.
    const lost = loseReplyOnce(suite.redis, (args) => String(args[1]) === '8' && args.includes(queue.keys.active));
    const paused = nextEvents(queue, 'pause', 1);
    const resumed = nextEvents(queue, 'resume', 1);
    const done = nextEvents(queue, 'completed', 3, 5_000);
    const attempts: number[] = [];
    const worker = queue.process((job) => void attempts.push(job.attempts), { leaseMs: 60_000, blockMs: 50 });
    await paused;
    await resumed;
    await done;
    await worker.close();
    expect(lost()).toBe(1);
    expect(attempts).toEqual([1, 1, 1]);
  });

  it('hands back the jobs of the fetch that rides behind its blocking pop when that reply is lost, the try not counted', async () => {
    const queue = queueFor('lost-waiting-reply');
    let lost = 0;
    // The first pop and fetch run on the server (the add wakes them); the fetch's reply is lost.
    void onWaitingFetch(suite.redis, (reply) => (lost++ > 0 ? reply : reply.then(() => Promise.reject(new Error('Connection is closed.')))));
    const attempts: number[] = [];
    const done = nextEvents(queue, 'completed', 1, 5_000);
    const worker = queue.process((job) => void attempts.push(job.attempts), { leaseMs: 60_000, blockMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // let it block
    await queue.add('t', 1);
    await done;
    await worker.close();
    expect(lost).toBeGreaterThan(0);
    expect(attempts).toEqual([1]);
  });

  it('completes a job once when the reply to its completion is lost and the completion is sent again', async () => {
    const queue = queueFor('lost-ack');
    const lost = loseReplyOnce(suite.redis, (args) => String(args[1]) === '3' && args.includes(queue.keys.completed));
    const warnings: string[] = [];
    setLogger({ error: () => {}, info: () => {}, debug: () => {}, warn: (_, message) => void warnings.push(message ?? '') });
    const done = nextEvents(queue, 'completed', 1, 5_000);
    const job = await queue.add('t', 1);
    // The job ends once the worker waits with its next fetch behind its pop, so its completion is written on its own.
    const waiting = waitingFetchSent(suite.redis);
    const worker = queue.process(() => waiting, { blockMs: 5_000 });
    await done;
    await worker.close();
    setLogger();
    expect(lost()).toBe(1);
    expect(warnings.filter((message) => /lost its lease/.test(message))).toEqual([]);
    expect(await queue.get(job.id)).toMatchObject({ state: 'completed', attempts: 1 });
  });

  it('refuses with a bulwark error, sending nothing, when the connection still says ready but its socket is gone', async () => {
    const connection = suite.redis.duplicate({ lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    connection.on('error', () => {});
    await connection.connect();
    // Not suite.queueFor: its clean-up would run on this connection; the refused add writes nothing.
    const queue = testQueue(connection, 'socket-gone');
    // The server went away: the socket is closed, and ioredis has not yet seen it.
    (connection as unknown as { stream: { destroy(): void } }).stream.destroy();
    expect(connection.status).toBe('ready');
    const refused = await queue.add('t', 1).catch((error: unknown) => error);
    expect(isBulwarkError(refused)).toBe(true);
    expect(refused).toMatchObject({ code: 'QUEUE_CONNECTION_NOT_READY' });
    connection.disconnect();
  });

  it('works the same on ioredis 5', async () => {
    const redis5 = new Redis5(inject('redisUrl'), { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis5.connect();
    const queue = testQueue(redis5 as never, 'ioredis5');
    try {
      const done = nextEvents(queue, 'completed', 3);
      await queue.addBulk([3, 2, 1].map((payload) => ({ type: 't', payload, options: { jobId: `j${payload}` } })));
      const seen: unknown[] = [];
      const worker = queue.process((job) => void seen.push(job.payload), { concurrency: 1, blockMs: 50 });
      await done;
      await worker.close();
      expect(seen).toEqual([3, 2, 1]);
      expect(await queue.get('j1')).toMatchObject({ state: 'completed', attempts: 1 });
    } finally {
      await queue.cleanup();
      redis5.disconnect();
    }
  });
});
