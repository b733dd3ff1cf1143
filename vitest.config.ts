import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Suites that run in real time (child processes, servers killed mid-test, long simulations, whole
 * example programs, waits on Redis's own clock): the `slow` project. `npm test` runs both projects; `npm run test:fast` only `fast`.
 */
const SLOW_SUITES = [
  'test/adaptive-concurrency/simulation.test.ts',
  'test/examples.test.ts',
  'test/process/exits-promptly.test.ts',
  'test/rate-limiter/exactness.test.ts',
  'test/redis/boundaries.test.ts',
  'test/redis/cache-cluster.test.ts',
  'test/redis/cache-outage.test.ts',
  'test/redis/cache-stampede.test.ts',
  'test/redis/faults.test.ts',
  'test/redis/lock/multi-process.test.ts',
  'test/redis/guard-faults.test.ts',
  'test/redis/metrics/bulwark-metrics.test.ts',
  'test/redis/metrics/faults.test.ts',
  'test/redis/metrics/multi-process.test.ts',
  'test/redis/metrics/sqlite.test.ts',
  'test/redis/multi-process.test.ts',
  'test/redis/queue-cluster.test.ts',
  'test/redis/queue-faults.test.ts',
  'test/redis/queue-processes.test.ts',
  'test/redis/queue-timing.test.ts',
  'test/redis/redis-store-contract.test.ts',
  'test/middleware/redis-backed.test.ts',
];

/** A file of this repository, by its path from the root. */
const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples import 'bulwark', 'bulwark/redis' and 'bulwark/middleware*' as users do; in this
    // repo that is the source. The longer names first: an alias also matches the names below it.
    alias: {
      'bulwark/middleware/node': source('./src/middleware/node.ts'),
      'bulwark/middleware/koa': source('./src/middleware/koa.ts'),
      'bulwark/middleware/fastify': source('./src/middleware/fastify.ts'),
      'bulwark/middleware/fetch': source('./src/middleware/fetch.ts'),
      'bulwark/middleware': source('./src/middleware/index.ts'),
      'bulwark/redis': source('./src/redis/index.ts'),
      bulwark: source('./src/index.ts'),
    },
  },
  test: {
    // Provides inject('redisUrl'): REDIS_URL / 127.0.0.1:6379, or a throw-away redis-server.
    globalSetup: ['./test/support/redis-global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    teardownTimeout: 15_000,
    restoreMocks: true,
    unstubEnvs: true,
    unstubGlobals: true,
    projects: [
      // The fast suites share one module graph per worker (no per-file isolation): they keep no
      // state between files (instances stay out of the default registry, listeners are removed).
      {
        extends: true,
        test: {
          name: 'fast',
          include: ['test/**/*.test.ts'],
          exclude: SLOW_SUITES,
          isolate: false,
          setupFiles: ['./test/support/fresh-process-state.ts'],
        },
      },
      { extends: true, test: { name: 'slow', include: SLOW_SUITES } },
    ],
  },
});
