import { Redis, ReplyError } from 'ioredis';
import { Redis as Redis5, ReplyError as ReplyError5 } from 'ioredis5';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OperationTimeoutError } from '../../src/index';
import { isRedisUnavailable, RedisUnavailableError } from '../../src/redis/index';
import { findFreePort } from '../support/redis-server';
import { rejectionOf } from './guard-support';
import { connect, uniquePrefix } from './support';

describe('isRedisUnavailable', () => {
  const prefix = uniquePrefix('guard-failures');
  let redis: Redis;

  beforeAll(async () => {
    redis = await connect(inject('redisUrl'));
    await redis.set(`${prefix}:string`, 'v', 'PX', 60_000);
  });

  afterAll(async () => {
    await redis.del(`${prefix}:string`);
    redis.disconnect();
  });

  it('does not count the error replies of a command that reached a healthy server', async () => {
    const replies = await Promise.all([
      rejectionOf(redis.hget(`${prefix}:string`, 'field')),
      rejectionOf(redis.evalsha('0'.repeat(40), 0)),
      rejectionOf(redis.eval('return redis.call("INCR", KEYS[1])', 1, `${prefix}:string`)),
      rejectionOf(redis.eval('error(', 0)),
      rejectionOf(redis.call('SET', `${prefix}:string`)),
      rejectionOf(redis.call('NOSUCHCOMMAND')),
      rejectionOf(redis.call('SET', `${prefix}:string`, 'v', 'EX', 'soon')),
    ]);
    expect(replies.map((error) => error.message.split(' ')[0])).toEqual(['WRONGTYPE', 'NOSCRIPT', 'ERR', 'ERR', 'ERR', 'ERR', 'ERR']);
    for (const error of replies) {
      expect(error).toBeInstanceOf(ReplyError);
      expect(isRedisUnavailable(error)).toBe(false);
    }
  });

  // LOADING, TRYAGAIN, CLUSTERDOWN and MASTERDOWN are provoked for real in guard-faults.test.ts
  // (LOADING, READONLY) where cheap; here every one is ioredis's own ReplyError built from the
  // reply text the server sends.
  it.each([
    ['READONLY', "READONLY You can't write against a read only replica."],
    ['LOADING', 'LOADING Redis is loading the dataset in memory'],
    ['TRYAGAIN', 'TRYAGAIN Multiple keys request during rehashing of slot'],
    ['CLUSTERDOWN', 'CLUSTERDOWN The cluster is down'],
    ['MASTERDOWN', "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."],
    ['BUSY', 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.'],
  ])('counts %s, from ioredis 6 and 5', (_prefix, text) => {
    expect(isRedisUnavailable(new ReplyError(text))).toBe(true);
    expect(isRedisUnavailable(new ReplyError5(text))).toBe(true);
  });

  it('does not count a reply that merely starts like a counted one', () => {
    expect(isRedisUnavailable(new ReplyError('READONLYX not a failover'))).toBe(false);
    expect(isRedisUnavailable(new ReplyError('ERR LOADING is a word here'))).toBe(false);
  });

  it('counts timeouts, a connection that is not ready, refused or closed, and ioredis giving up', async () => {
    expect(isRedisUnavailable(new OperationTimeoutError('guard:timeout', 250))).toBe(true);
    expect(isRedisUnavailable(new RedisUnavailableError('timeout', 'reconnecting', 250))).toBe(true);
    const port = await findFreePort();
    for (const Client of [Redis, Redis5 as unknown as typeof Redis]) {
      const nowhere = new Client(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      const events: Error[] = [];
      nowhere.on('error', (error: Error) => events.push(error));
      await rejectionOf(nowhere.connect());
      expect(events[0]?.message).toMatch(/ECONNREFUSED/);
      expect(isRedisUnavailable(events[0])).toBe(true);
      const closed = await rejectionOf(nowhere.get('k'));
      expect(closed.message).toMatch(/Connection is closed/);
      expect(isRedisUnavailable(closed)).toBe(true);
    }
  });
});
