/**
 * A repository whose reads go through `Cache` (from `bulwark/redis`) in front of a slow database,
 * and what happens to those reads while Redis is down.
 *
 * - `UserRepository.find(id)` is `cache.getOrLoad(id, loader)`; the loader queries a simulated
 *   database that takes 20 ms a query and counts them.
 * - The example starts a throw-away `redis-server` of its own on a free port (it never touches any
 *   other Redis), reads every user twice (the first read of each loads it, the second is a hit),
 *   then stops the server half-way: reads keep answering, from the loader (the cache "degrades"),
 *   and its circuit breaker opens so that they stop waiting on a dead server. Then it starts the
 *   server again on the same port: the client reconnects by itself, the breaker lets a probe
 *   through and closes, and reads come from the cache again after one reload (the restarted
 *   server is empty).
 * - The Cache gets its own Redis policy here (a breaker that probes again after 300 ms instead of
 *   the default 5 s, and the usual 200 ms timeout) so that the example runs in about a second.
 *
 * Needs `redis-server` on the PATH (the example stops and starts it; it does not use `REDIS_URL`).
 * Run it: `npx tsx examples/cached-repository.ts`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { CircuitBreaker, compose, Timeout } from 'bulwark';
import { Cache } from 'bulwark/redis';

/** A row of the users table. */
export interface User {
  readonly id: string;
  readonly name: string;
}

/** What one phase of the example saw. */
export interface PhaseReport {
  readonly phase: 'warm' | 'outage' | 'recovered';
  /** Whether Redis was up during the phase. */
  readonly redisUp: boolean;
  /** Reads made in the phase, and how many returned the right user. */
  readonly reads: number;
  readonly answered: number;
  /** Database queries the phase's reads made (each a loader call). */
  readonly dbQueries: number;
  /** Reads the cache answered from Redis. */
  readonly cacheHits: number;
  /** Redis calls that failed during the phase (the cache degraded to the loader). */
  readonly degraded: number;
  /** The slowest read, in ms. */
  readonly slowestReadMs: number;
  /** The Redis breaker's state at the end of the phase. */
  readonly breaker: string;
}

export interface CachedRepositoryResult {
  readonly phases: readonly PhaseReport[];
}

/** A database that takes 20 ms a query and counts them. */
class SlowDatabase {
  queries = 0;
  readonly #users = new Map(['1', '2', '3', '4', '5'].map((id) => [id, { id, name: `user ${id}` }]));

  async findUser(id: string, signal: AbortSignal): Promise<User | undefined> {
    this.queries++;
    await delay(20, undefined, { signal });
    return this.#users.get(id);
  }
}

/** Reads users through the cache; a miss (or a Redis outage) asks the database. */
class UserRepository {
  readonly #cache: Cache;
  readonly #db: SlowDatabase;

  constructor(cache: Cache, db: SlowDatabase) {
    this.#cache = cache;
    this.#db = db;
  }

  find(id: string): Promise<User | undefined> {
    return this.#cache.getOrLoad(`user:${id}`, ({ signal }) => this.#db.findUser(id, signal));
  }
}

/** A `redis-server` of the example's own: no persistence, bound to 127.0.0.1 on `port`. */
async function startRedis(port: number): Promise<ChildProcess> {
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()], {
    stdio: 'ignore',
  });
  await Promise.race([
    once(server, 'spawn'),
    once(server, 'error').then(([error]) => Promise.reject(new Error(`cannot start redis-server: ${(error as Error).message}`))),
  ]);
  return server;
}

/** Stops the server this example started, and waits until it has exited. */
async function stopRedis(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = once(server, 'exit');
  server.kill('SIGKILL');
  await exited;
}

/** A TCP port that is free right now on 127.0.0.1. */
async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

/** Resolves once the client is ready (it reconnects by itself), or throws after `timeoutMs`. */
async function untilReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  // Not `events.once`: it rejects on the connection errors the client reports while it retries.
  const ready = new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  await Promise.race([ready, delay(timeoutMs, undefined, { ref: false }).then(() => Promise.reject(new Error('Redis did not come back')))]);
}

export async function main(): Promise<CachedRepositoryResult> {
  const port = await freePort();
  let server = await startRedis(port);
  const redis = new Redis({ port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  redis.on('error', () => {}); // connection errors while the server is down: the cache handles them
  const breaker = new CircuitBreaker({ name: 'users-cache:redis', failureThreshold: 3, recoveryTimeoutMs: 300, registry: false });
  const cache = new Cache({
    redis,
    prefix: 'example:users',
    ttlMs: 60_000,
    policy: compose(breaker, new Timeout({ timeoutMs: 200, registry: false })),
    name: 'users-cache',
    registry: false,
  });
  const db = new SlowDatabase();
  const users = new UserRepository(cache, db);
  const phases: PhaseReport[] = [];

  /** Reads users 1–5 twice, one at a time, and reports what that cost. */
  const readAll = async (phase: PhaseReport['phase']): Promise<void> => {
    const before = { queries: db.queries, ...cache.stats() };
    let answered = 0;
    let slowestReadMs = 0;
    for (let round = 0; round < 2; round++) {
      for (const id of ['1', '2', '3', '4', '5']) {
        const startedAt = performance.now();
        const user = await users.find(id);
        slowestReadMs = Math.max(slowestReadMs, performance.now() - startedAt);
        if (user?.name === `user ${id}`) answered++;
      }
    }
    const after = cache.stats();
    const report: PhaseReport = {
      phase,
      redisUp: server.exitCode === null && server.signalCode === null,
      reads: 10,
      answered,
      dbQueries: db.queries - before.queries,
      cacheHits: after.hits - before.hits,
      degraded: after.degraded - before.degraded,
      slowestReadMs: Math.round(slowestReadMs),
      breaker: breaker.state,
    };
    phases.push(report);
    console.log(
      `${phase.padEnd(9)} redis ${report.redisUp ? 'up  ' : 'down'}: ${answered}/10 reads answered, ` +
        `${report.dbQueries} database queries, ${report.cacheHits} cache hits, ${report.degraded} Redis failures, ` +
        `slowest read ${report.slowestReadMs} ms, breaker ${report.breaker}`,
    );
  };

  try {
    await untilReady(redis, 5_000);
    await readAll('warm');

    const closed = new Promise<void>((resolve) => redis.once('close', () => resolve()));
    await stopRedis(server);
    await closed;
    await readAll('outage');

    server = await startRedis(port);
    await untilReady(redis, 5_000);
    await delay(300); // the breaker's recoveryTimeoutMs: the next read is its probe
    await readAll('recovered');
    return { phases };
  } finally {
    cache.dispose();
    redis.disconnect();
    await stopRedis(server);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
