/**
 * RedisQueue behaviour that runs on Redis's own clock (delays, backoff, leases): real waits of a
 * few hundred ms, so this suite is in the `slow` project.
 */
import type { Redis } from 'ioredis';
import { describe, expect, inject, it, vi } from 'vitest';
import { isBulwarkError } from '../../src/core/errors';
import type { QueueWorker, RedisQueue } from '../../src/redis/index';
import { deferred } from '../support/async';
import { connect } from './support';
import { nextEvents, onWaitingFetch, testQueue, useTestQueues } from './queue-support';

const suite = useTestQueues(inject('redisUrl'));
const queueFor = suite.queueFor;

/** Redis's TIME in ms. */
async function serverNow(): Promise<number> {
  const [seconds, micros] = await suite.redis.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}

describe('RedisQueue on Redis time', () => {
  it('never runs a delayed job before its time by Redis TIME, whatever the producer clock says', async () => {
    const queue = queueFor('delayed');
    const realNow = Date.now;
    // A producer whose clock is an hour behind: with client time, the job would be due at once.
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 3_600_000);
    const before = await serverNow();
    const job = await queue.add('t', 1, { delayMs: 300 });
    vi.mocked(Date.now).mockRestore();
    expect(job.state).toBe('delayed');
    expect(job.dueAt! - job.addedAt).toBe(300);
    expect(job.addedAt).toBeGreaterThanOrEqual(before);
    const ranAt = deferred<number>();
    const worker = queue.process(async () => ranAt.resolve(await serverNow()), { blockMs: 5_000 });
    const startedAt = await ranAt.promise;
    await worker.close();
    expect(startedAt).toBeGreaterThanOrEqual(job.dueAt!);
    // Woken for it by its due time, not at the end of a 5 s blocking wait.
    expect(startedAt - job.dueAt!).toBeLessThan(1_000);
  });

  it('wakes an idle blocked worker at once when a job is added', async () => {
    const queue = queueFor('wake');
    const started = nextEvents(queue, 'active', 1);
    const worker = queue.process(() => {}, { blockMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // let it block
    const addedAt = Date.now();
    await queue.add('t', 1);
    await started;
    await worker.close();
    expect(Date.now() - addedAt).toBeLessThan(1_000);
  });

  it('retries after the backoff, exponentially, by Redis time', async () => {
    const queue = queueFor('backoff', { backoff: { type: 'exponential', initialDelayMs: 150, multiplier: 2, jitter: 'none' } });
    const dead = nextEvents(queue, 'dead', 1);
    const starts: number[] = [];
    await queue.add('t', 1, { maxAttempts: 3 });
    const worker = queue.process(async () => {
      starts.push(await serverNow());
      throw new Error('fails');
    });
    await dead;
    await worker.close();
    expect(starts).toHaveLength(3);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(150);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(300);
  });
});

describe('RedisQueue blocking waits', () => {
  it('replaces a blocking connection whose pop neither resolves nor rejects (bullmq #36)', async () => {
    const queue = queueFor('hung-pop');
    // Stuck after a reconnect: the pop, and the fetch sent behind it.
    const hung = onWaitingFetch(
      suite.redis,
      () => new Promise(() => {}),
      (blocker) => (blocker.blpop = (() => new Promise(() => {})) as never),
    );
    const spy = vi.mocked(suite.redis.duplicate);
    const worker = queue.process(() => {}, { blockMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 1_300)); // its pop's timeout plus the 1 s grace
    const done = nextEvents(queue, 'completed', 1, 3_000);
    await queue.add('t', 1);
    await done;
    await worker.close();
    expect(spy).toHaveBeenCalledTimes(2);
    expect((await hung).status).toBe('end');
  });

  it('closes its blocking connection once on close, and opens no other', async () => {
    const queue = queueFor('close-once');
    const duplicate = suite.redis.duplicate.bind(suite.redis);
    const made: Redis[] = [];
    let disconnects = 0;
    const spy = vi.spyOn(suite.redis, 'duplicate').mockImplementation(() => {
      const blocker = duplicate();
      const disconnect = blocker.disconnect.bind(blocker);
      blocker.disconnect = ((reconnect?: boolean) => {
        disconnects++;
        disconnect(reconnect);
      }) as never;
      made.push(blocker);
      return blocker;
    });
    const worker = queue.process(() => {}, { blockMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // let it block
    await worker.close();
    spy.mockRestore();
    expect(made).toHaveLength(1);
    expect(disconnects).toBe(1);
    expect(made[0]?.status).toBe('end');
  });
});

describe('RedisQueue leases', () => {
  it('returns a job whose worker died to ready with the try counted (stalled), and the dead worker cannot complete it', async () => {
    const dying = await connect(inject('redisUrl'));
    const queue = queueFor('stalled');
    const onDying = testQueue(dying, 'stalled', { prefix: queue.prefix, registry: false });
    const job = await queue.add('t', 1);
    const startedOnDying = deferred<void>();
    const finishOnDying = deferred<void>();
    const dyingWorker = onDying.process(async () => {
      startedOnDying.resolve();
      await finishOnDying.promise;
    }, { leaseMs: 150 });
    await startedOnDying.promise;
    dying.disconnect(); // the worker can no longer extend its lease

    const stalled = nextEvents(queue, 'stalled', 1);
    const completed = nextEvents(queue, 'completed', 1);
    const attempts: number[] = [];
    const worker = queue.process((running) => void attempts.push(running.attempts), { blockMs: 50 });
    const [event] = await stalled;
    await completed;
    finishOnDying.resolve();
    await dyingWorker.close({ drainMs: 0 });
    await worker.close();
    expect(event).toMatchObject({ jobId: job.id, attempts: 1, dead: false });
    expect(attempts).toEqual([2]);
    expect(await queue.get(job.id)).toMatchObject({ state: 'completed', attempts: 2 });
  });

  it('loses none of the jobs a worker finished but died before acknowledging (their acks wait for its next fetch)', async () => {
    const dying = await connect(inject('redisUrl'));
    const queue = queueFor('unacked');
    const onDying = testQueue(dying, 'unacked', { prefix: queue.prefix, registry: false });
    await queue.addBulk([1, 2, 3, 4, 5].map((payload) => ({ type: 't', payload })));
    const ranOnDying: number[] = [];
    const died = deferred<void>();
    // Every handler ends at once; the worker dies in the same turn, before any acknowledgement leaves.
    const dyingWorker = onDying.process(
      (job) => {
        ranOnDying.push(job.payload as number);
        if (ranOnDying.length < 5) return;
        dying.disconnect();
        died.resolve();
      },
      { concurrency: 5, leaseMs: 150 },
    );
    await died.promise; // the other worker starts once the dying one holds every job
    const stalled = nextEvents(queue, 'stalled', 5);
    const completed = nextEvents(queue, 'completed', 5);
    const ran: number[] = [];
    const worker = queue.process((job) => void ran.push(job.payload as number), { blockMs: 50 });
    await stalled;
    await completed;
    await dyingWorker.close({ drainMs: 0 });
    await worker.close();
    expect(ranOnDying.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(ran.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await queue.stats()).toMatchObject({ ready: 0, active: 0, dead: 0, completed: 5 });
  });

  it('dead-letters a job that stalls on its last try', async () => {
    const queue = queueFor('stalled-dead');
    const job = await queue.add('t', 1, { maxAttempts: 1 });
    const dyingWorker = await takenByDyingWorker(queue, 100);
    const dead = nextEvents(queue, 'dead', 1);
    const worker = queue.process(() => {}, { blockMs: 50 });
    const [event] = await dead;
    await worker.close();
    await dyingWorker.close({ drainMs: 0 });
    expect(event).toMatchObject({ jobId: job.id, reason: 'stalled', attempts: 1 });
    expect((await queue.get(job.id))?.error?.message).toMatch(/lease of its last try ran out/);
  });

  it('extends the lease of a job that runs longer than leaseMs, so nobody else takes it', async () => {
    const queue = queueFor('extend');
    const stalled = vi.fn();
    queue.events.on('stalled', stalled);
    await queue.add('t', 1);
    let runs = 0;
    const done = nextEvents(queue, 'completed', 1);
    const first = queue.process(async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }, { leaseMs: 300 }); // renewed every 100 ms: runs past three leases
    const second = queue.process(() => void runs++, { blockMs: 20 });
    await done;
    await Promise.all([first.close(), second.close()]);
    expect(runs).toBe(1);
    expect(stalled).not.toHaveBeenCalled();
  });
});

/**
 * Starts a worker of `queue` on a connection of its own whose handler never ends, and drops that
 * connection once it runs a job (the worker can no longer extend the lease of `leaseMs`).
 * @returns the dead worker, to close at the end
 */
async function takenByDyingWorker(queue: RedisQueue, leaseMs: number): Promise<QueueWorker> {
  const dying = await connect(inject('redisUrl'));
  const onDying = testQueue(dying, queue.name, { prefix: queue.prefix, registry: false });
  const started = deferred<void>();
  const dyingWorker = onDying.process(() => {
    started.resolve();
    return new Promise(() => {});
  }, { leaseMs });
  await started.promise;
  dying.disconnect();
  return dyingWorker;
}

/** Adds a job every `everyMs` until the returned function is called (which waits for the adds sent). */
function steadyStream(queue: RedisQueue, everyMs: number): () => Promise<void> {
  const adds: Promise<unknown>[] = [];
  const timer = setInterval(() => adds.push(queue.add('stream', 0)), everyMs);
  const stop = async (): Promise<void> => {
    clearInterval(timer);
    await Promise.allSettled(adds);
  };
  // Stopped before the test's keys are deleted, also when the test failed before stopping it.
  suite.beforeCleanup(stop);
  return stop;
}

describe('RedisQueue sweeps and promotions under a steady stream of jobs', () => {
  it("recovers a dead worker's job within blockMs of its lease running out while the worker is never idle for blockMs", async () => {
    const queue = queueFor('busy-stalled');
    const job = await queue.add('t', 1);
    const dyingWorker = await takenByDyingWorker(queue, 150);
    const leaseEndsAt = Number(await suite.redis.zscore(queue.keys.active, job.id));

    // A new job every 10 ms: the worker's blocking pop (200 ms) never runs out.
    const stalledAt = deferred<number>();
    queue.events.on('stalled', () => void serverNow().then(stalledAt.resolve));
    const worker = queue.process(() => {}, { blockMs: 200, concurrency: 5 });
    const stopStream = steadyStream(queue, 10);
    const recoveredAt = await stalledAt.promise;
    await stopStream();
    await worker.close();
    await dyingWorker.close({ drainMs: 0 });
    expect(recoveredAt - leaseEndsAt).toBeLessThan(200 + 300);
  });

  it("still sweeps when the queue's time goes back (a failover to a server whose clock is behind)", async () => {
    const queue = queueFor('clock-back', { timeSource: 'client' });
    const realNow = Date.now;
    const ahead = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 3_600_000);
    await queue.add('t', 'first');
    const release = deferred<void>();
    const started = deferred<void>();
    // Its first fetch sweeps an hour ahead; then it is full and fetches nothing until released.
    const worker = queue.process(async (job) => {
      if (job.payload !== 'first') return;
      started.resolve();
      await release.promise;
    }, { concurrency: 1, blockMs: 300 });
    await started.promise;
    ahead.mockRestore();
    const stalled = nextEvents(queue, 'stalled', 1, 5_000);
    await queue.add('t', 'orphan');
    const dyingWorker = await takenByDyingWorker(queue, 150);
    release.resolve();
    const stopStream = steadyStream(queue, 20);
    const [event] = await stalled;
    await stopStream();
    await worker.close();
    await dyingWorker.close({ drainMs: 0 });
    expect(event).toMatchObject({ attempts: 1, dead: false });
  });

  it('starts a delayed job on time by Redis TIME while other jobs keep arriving', async () => {
    const queue = queueFor('busy-delayed');
    const ranAt = deferred<number>();
    const worker = queue.process({ stream: () => {}, due: async () => ranAt.resolve(await serverNow()) }, { blockMs: 5_000, concurrency: 5 });
    const stopStream = steadyStream(queue, 10);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the stream is flowing
    const job = await queue.add('due', 1, { delayMs: 300 });
    const startedAt = await ranAt.promise;
    await stopStream();
    await worker.close();
    expect(startedAt).toBeGreaterThanOrEqual(job.dueAt!);
    expect(startedAt - job.dueAt!).toBeLessThan(300);
  });
});

describe('RedisQueue job time limits and close()', () => {
  it("passes the job and an ExecutionContext whose signal aborts at the job's own time limit, or the worker's", async () => {
    const queue = queueFor('timeout');
    const failed = nextEvents(queue, 'failed', 2);
    const completed = nextEvents(queue, 'completed', 1);
    await queue.addBulk([
      { type: 'short', payload: 1, options: { timeoutMs: 30, maxAttempts: 1 } },
      { type: 'long', payload: 2, options: { timeoutMs: 5_000, maxAttempts: 1 } },
      { type: 'default', payload: 3, options: { maxAttempts: 1 } },
    ]);
    const budgets = new Map<string, number>();
    const aborted = new Map<string, unknown>();
    const worker = queue.process(
      (job, ctx) => {
        budgets.set(job.type, ctx.deadline! - Date.now());
        return new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 150);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            aborted.set(job.type, ctx.signal.reason);
            reject(ctx.signal.reason);
          });
        });
      },
      { timeoutMs: 60, concurrency: 3 },
    );
    const failures = await failed;
    await completed;
    await worker.close();
    expect(failures.map((event) => event.jobType).sort()).toEqual(['default', 'short']);
    for (const event of failures) expect(isBulwarkError(event.error, 'OPERATION_TIMEOUT')).toBe(true);
    expect([...aborted.keys()].sort()).toEqual(['default', 'short']);
    expect(budgets.get('short')).toBeLessThanOrEqual(30);
    expect(budgets.get('default')).toBeLessThanOrEqual(60);
    expect(budgets.get('long')).toBeGreaterThan(4_000);
  });

  it('close() with jobs in flight aborts them after drainMs and hands their leases back, the try not counted', async () => {
    const queue = queueFor('close');
    await queue.addBulk([1, 2, 3].map((payload) => ({ type: 't', payload })));
    const started = nextEvents(queue, 'active', 3);
    const reasons: unknown[] = [];
    const worker = queue.process(
      (_job, ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            reasons.push(ctx.signal.reason);
            resolve(undefined);
          });
        }),
      { concurrency: 3 },
    );
    await started;
    const closedAt = Date.now();
    await worker.close({ drainMs: 100 });
    expect(Date.now() - closedAt).toBeLessThan(1_000);
    expect(reasons.map((reason) => (reason as { reason: string }).reason)).toEqual(['workerClosed', 'workerClosed', 'workerClosed']);
    expect(await queue.stats()).toMatchObject({ ready: 3, active: 0, completed: 0 });
    const jobs = await Promise.all(['1', '2', '3'].map((id) => queue.get(id)));
    expect(jobs.map((job) => [job?.state, job?.attempts])).toEqual([['ready', 0], ['ready', 0], ['ready', 0]]);
  });

  it('close() waits for running jobs to finish within drainMs and records them', async () => {
    const queue = queueFor('drain');
    await queue.add('t', 1);
    const started = nextEvents(queue, 'active', 1);
    const worker = queue.process(() => new Promise((resolve) => setTimeout(resolve, 50)));
    await started;
    await worker.close({ drainMs: 5_000 });
    expect(await queue.stats()).toMatchObject({ completed: 1, active: 0 });
  });
});
