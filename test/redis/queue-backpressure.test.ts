import { describe, expect, inject, it, vi } from 'vitest';
import { BackpressureTimeoutError } from '../../src/backpressure/index';
import { nextEvents, useTestQueues } from './queue-support';

const suite = useTestQueues(inject('redisUrl'));
const queueFor = suite.queueFor;

/** Records the ready depth that every add script run reports (its reply starts with ZCARD ready). */
function recordDepths(readyKey: string): number[] {
  const depths: number[] = [];
  const send = suite.redis.sendCommand.bind(suite.redis);
  vi.spyOn(suite.redis, 'sendCommand').mockImplementation((command, stream) => {
    const result = send(command, stream);
    const args = (command as unknown as { args: unknown[] }).args;
    if (String(args[1]) === '5' && args.includes(readyKey)) {
      void (command as unknown as { promise: Promise<unknown> }).promise.then((reply) => depths.push(Number((reply as unknown[])[0])), () => {});
    }
    return result;
  });
  return depths;
}

describe('RedisQueue producer backpressure', () => {
  it('keeps the ready depth at or below highWaterMark + the number of producers, against a slow worker', async () => {
    const producers = 4;
    const perProducer = 60;
    const queue = queueFor('bound', { highWaterMark: 20, lowWaterMark: 10, depthPollMs: 5 });
    const depths = recordDepths(queue.keys.ready);
    const done = nextEvents(queue, 'completed', producers * perProducer, 20_000);
    const worker = queue.process(() => new Promise((resolve) => setTimeout(resolve, 1)), { concurrency: 1 });
    await Promise.all(
      Array.from({ length: producers }, async (_, p) => {
        for (let i = 0; i < perProducer; i++) await queue.add('t', { p, i });
      }),
    );
    await done;
    await worker.close();
    expect(depths).toHaveLength(producers * perProducer);
    expect(Math.max(...depths)).toBeGreaterThanOrEqual(20 - producers); // the producers did outrun the worker
    expect(Math.max(...depths)).toBeLessThanOrEqual(20 + producers);
    expect(queue.backpressure?.stats().pauses).toBeGreaterThan(0);
  });

  it('makes add wait while above the high mark: abortable, deadline-bound, writing nothing', async () => {
    const queue = queueFor('wait', { highWaterMark: 5 });
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ type: 't', payload: i })));
    const controller = new AbortController();
    const aborted = queue.add('t', 'a', { signal: controller.signal });
    controller.abort(new Error('producer stopped'));
    await expect(aborted).rejects.toThrow('producer stopped');
    const late = await queue.add('t', 'b', { deadline: Date.now() + 30 }).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(BackpressureTimeoutError);
    expect((late as BackpressureTimeoutError).reason).toBe('deadline');
    expect((await queue.stats()).ready).toBe(5);
  });

  it('resolves ready() once workers have drained the queue to the low mark', async () => {
    const queue = queueFor('ready', { highWaterMark: 10, lowWaterMark: 2, depthPollMs: 5 });
    await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ type: 't', payload: i })));
    expect(queue.backpressure?.paused).toBe(true);
    let resolved = false;
    const ready = queue.ready().then(() => (resolved = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(resolved).toBe(false);
    const worker = queue.process(() => {}, { concurrency: 1 });
    await ready;
    await worker.close();
    expect((await queue.stats()).ready).toBeLessThanOrEqual(2);
    await expect(queue.ready(AbortSignal.abort(new Error('stop')))).rejects.toThrow('stop');
  });
});
