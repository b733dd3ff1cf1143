/**
 * Vitest global setup: makes sure a Redis server is reachable for the whole run and provides its
 * URL to tests as `inject('redisUrl')`.
 *
 * 1. `REDIS_URL` (default `redis://127.0.0.1:6379`) is used if it answers `PING`.
 * 2. Otherwise a throw-away `redis-server` is started on a free port and stopped in teardown.
 * 3. Without a `redis-server` binary the run fails with a one-line hint on how to get Redis.
 *
 * @module
 */
import type { TestProject } from 'vitest/node';
import { hasRedisServerBinary, pingRedis, redactRedisUrl, startRedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a Redis server that answers `PING`, shared by every test file of the run. */
    redisUrl: string;
  }
}

/** Default when `REDIS_URL` is not set. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Provides `redisUrl` to the tests and returns the teardown that stops any server started here. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  if (await pingRedis(url, 1_000)) {
    project.provide('redisUrl', url);
    return async () => {};
  }

  if (!hasRedisServerBinary()) {
    throw new Error(
      `Redis does not answer at ${redactRedisUrl(url)} and no redis-server binary is on PATH: ` +
        'install Redis (apt-get install redis-server, or brew install redis) or set REDIS_URL to a running server.',
    );
  }

  const server = await startRedisServer();
  project.provide('redisUrl', server.url);
  return () => server.stop();
}
