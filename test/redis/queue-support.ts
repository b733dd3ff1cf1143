import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { RedisQueue, type RedisQueueEvents, type RedisQueueOptions } from '../../src/redis/index';
import { deferred } from '../support/async';
import { connect, deleteUnder, uniquePrefix } from './support';

/** A queue under its own prefix, out of the default registry; `cleanup` deletes its keys. */
export function testQueue(redis: Redis, label: string, options: Partial<RedisQueueOptions> = {}): RedisQueue & { cleanup(): Promise<void> } {
  const prefix = uniquePrefix(`queue-${label}`);
  const queue = new RedisQueue({ redis, name: label, prefix, registry: false, ...options });
  return Object.assign(queue, {
    async cleanup(): Promise<void> {
      await queue[Symbol.asyncDispose]();
      await deleteUnder(redis, prefix);
    },
  });
}

/** Resolves with the first `count` events of `type` on `queue` (rejects after `timeoutMs`). */
export function nextEvents<Type extends keyof RedisQueueEvents>(
  queue: RedisQueue,
  type: Type,
  count: number,
  timeoutMs = 10_000,
): Promise<RedisQueueEvents[Type][]> {
  const seen: RedisQueueEvents[Type][] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`saw ${seen.length} of ${count} ${type} events within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = queue.events.on(type, (event) => {
      seen.push(event);
      if (seen.length < count) return;
      stop();
      clearTimeout(timer);
      resolve(seen);
    });
  });
}

/** What {@link useTestQueues} provides: the shared server's connection and a queue maker. */
export interface TestQueues {
  /** A connection to the shared server, open from `beforeAll` to `afterAll`. */
  redis: Redis;
  /** A {@link testQueue} that is cleaned up after the test that made it. */
  queueFor(label: string, options?: Partial<RedisQueueOptions>, connection?: Redis): ReturnType<typeof testQueue>;
  /** Runs `stop` after the test, before its queues are cleaned up (a producer still adding jobs when the test failed). */
  beforeCleanup(stop: () => Promise<void>): void;
}

/**
 * The shared server for a queue suite: a connection opened in `beforeAll`, every queue made by
 * `queueFor` disposed and its keys deleted after each test, the connection closed in `afterAll`.
 */
export function useTestQueues(url: string): TestQueues {
  const queues: { cleanup(): Promise<void> }[] = [];
  const stops: Array<() => Promise<void>> = [];
  const fixture: TestQueues = {
    redis: undefined as unknown as Redis,
    queueFor: (label, options = {}, connection = fixture.redis) => {
      const queue = testQueue(connection, label, options);
      queues.push(queue);
      return queue;
    },
    beforeCleanup: (stop) => void stops.push(stop),
  };
  beforeAll(async () => {
    fixture.redis = await connect(url);
  });
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await Promise.all(queues.splice(0).map((queue) => queue.cleanup()));
  });
  afterAll(() => {
    fixture.redis.disconnect();
  });
  return fixture;
}

/** The arguments of an ioredis command, as `sendCommand` receives it. */
type CommandArgs = readonly unknown[];

/**
 * Makes the first command on `redis` that `matches` run on the server but lose its reply on the
 * way back (it rejects as after a dropped connection). Returns how many replies were lost so far.
 */
export function loseReplyOnce(redis: Redis, matches: (args: CommandArgs) => boolean): () => number {
  const send = redis.sendCommand.bind(redis);
  let lost = 0;
  vi.spyOn(redis, 'sendCommand').mockImplementation((command, stream) => {
    const result = send(command, stream);
    if (lost > 0 || !matches((command as unknown as { args: CommandArgs }).args)) return result;
    lost++;
    return (result as Promise<unknown>).then(() => Promise.reject(new Error('Connection is closed.')));
  });
  return () => lost;
}

/**
 * Hands each script run sent on the next connection duplicated from `redis` (a worker's blocking
 * connection, whose only script is the fetch behind its pop) to `wrap`, whose promise the worker
 * receives instead of the reply; `prepare` may change the connection further when it is made.
 * @returns the connection, once made
 */
export function onWaitingFetch(
  redis: Redis,
  wrap: (reply: Promise<unknown>) => Promise<unknown>,
  prepare: (blocking: Redis) => void = () => {},
): Promise<Redis> {
  const duplicate = redis.duplicate.bind(redis);
  const made = deferred<Redis>();
  vi.spyOn(redis, 'duplicate').mockImplementationOnce(() => {
    const blocking = duplicate();
    const send = blocking.sendCommand.bind(blocking);
    blocking.sendCommand = ((command: { name: string }, stream?: unknown) => {
      const reply = send(command as never, stream as never);
      return command.name === 'evalsha' || command.name === 'eval' ? wrap(reply as Promise<unknown>) : reply;
    }) as never;
    prepare(blocking);
    made.resolve(blocking);
    return blocking;
  });
  return made.promise;
}

/**
 * Resolves once the next connection duplicated from `redis` (a worker's blocking connection) sends
 * its first fetch, right behind a blocking pop. From then on, that worker's loop waits on that
 * connection, so the completions of jobs ending later are written on their own (no fetch of the
 * loop carries them).
 */
export function waitingFetchSent(redis: Redis): Promise<void> {
  const sent = deferred<void>();
  void onWaitingFetch(redis, (reply) => {
    sent.resolve();
    return reply;
  });
  return sent.promise;
}
