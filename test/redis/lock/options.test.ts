import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/index';
import { Lock, LOCK_DEFAULTS } from '../../../src/redis/index';
import { rejectionOf } from './support';

// Never connected: options are checked before anything is sent.
const redis = new Redis({ lazyConnect: true, enableOfflineQueue: false });
afterAll(() => redis.disconnect());

/** The `path: message` lines of the ConfigError that `run` throws. */
function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('Lock options', () => {
  it('has documented defaults', () => {
    const lock = new Lock({ redis, registry: false });
    expect(lock).toMatchObject({ ...LOCK_DEFAULTS, patternType: 'lock', name: expect.stringMatching(/^lock-\d+$/) });
  });

  it('names every bad field in one ConfigError', () => {
    const issues = issuesOf(
      () =>
        new Lock({
          redis: {} as never,
          prefix: 'a{b',
          name: '',
          timeoutMs: 0,
          retryDelayMs: 2 ** 31,
          maxRetryDelayMs: Number.NaN,
          registry: 'default' as never,
          exceptions: {},
        } as never),
    );
    expect(issues.map((issue) => issue.split(':')[0])).toEqual([
      'name',
      'registry',
      'redis',
      'prefix',
      'timeoutMs',
      'retryDelayMs',
      'maxRetryDelayMs',
      'exceptions',
    ]);
    expect(issues).toContain('retryDelayMs: must be ≤ 2147483647 (the longest timer delay), got 2147483648');
    expect(issues).toContain('exceptions: unknown option');
    expect(issuesOf(() => new Lock({} as never))).toEqual(['redis: expected an ioredis Redis or Cluster, got undefined']);
  });

  it('refuses bad acquire options, keys and extend ttls with a ConfigError naming each', async () => {
    const lock = new Lock({ redis, registry: false });
    const error = await rejectionOf(lock.acquire('k', { ttlMs: 2 ** 31, waitMs: -1, signal: 'no' as never, wait: 1 } as never));
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['ttlMs', 'waitMs', 'signal', 'wait']);
    expect(await rejectionOf(lock.acquire('k', {} as never))).toMatchObject({ issues: [{ path: 'ttlMs', message: 'is required' }] });
    expect(await rejectionOf(lock.acquire({} as never, { ttlMs: 1_000 }))).toMatchObject({
      name: 'ConfigError',
      issues: [{ path: 'key', message: 'expected a string or a finite number, got object' }],
    });
    expect(await rejectionOf(lock.withLock('k', () => 1, { ttlMs: 0, extendEveryMs: 0 }))).toMatchObject({
      issues: [
        { path: 'ttlMs', message: 'must be > 0, got 0' },
        { path: 'extendEveryMs', message: 'must be > 0, got 0' },
      ],
    });
  });

  it('fails at once with LockUnavailableError when nothing connects the connection', async () => {
    const lock = new Lock({ redis, registry: false });
    expect(await rejectionOf(lock.acquire('k', { ttlMs: 1_000, waitMs: 5_000 }))).toMatchObject({
      name: 'LockUnavailableError',
      code: 'LOCK_UNAVAILABLE',
      message: 'Redis connection is not connecting (created with lazyConnect and connect() not called) (status: wait)',
    });
  });
});
