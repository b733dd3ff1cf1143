/**
 * The guard with a RateLimiter on a RedisStore, over real HTTP against real Redis: server
 * processes sharing one limit, a connection still coming up, and an outage (a killed server).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { connect as connectTcp, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RateLimiter, type StoreErrorPolicy } from '../../src/index';
import { createGuard, type GuardOptions } from '../../src/middleware/index';
import { guardMiddleware } from '../../src/middleware/node';
import { RedisStore } from '../../src/redis/index';
import { parseRedisUrl, startRedisServer, type RedisServerHandle } from '../support/redis-server';
import { connect, useSharedRedis } from '../redis/support';
import { listen, type Served } from './support';

const shared = useSharedRedis(inject('redisUrl'), 'middleware');

/** A node:http server whose every admitted request is answered 200 `ok`. */
function serveGuarded(options: GuardOptions): Promise<Served> {
  const guarded = guardMiddleware(createGuard(options));
  return listen(createHttpServer((req, res) => guarded(req, res, () => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok'))));
}

/** Statuses of `count` concurrent GETs of `url`. */
async function statuses(url: string, count: number): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, () => fetch(url).then(async (response) => (await response.arrayBuffer(), response.status))));
}

/** A server process of `redis-server.fixture.ts` and its base URL. */
interface ServerProcess {
  readonly url: string;
  stop(): Promise<void>;
}

async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const fixture = fileURLToPath(new URL('./redis-server.fixture.ts', import.meta.url));
  const child: ChildProcess = fork(fixture, { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: 'inherit' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`server process exited with ${code} before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

describe('two server processes with RedisStore limiters on one Redis', () => {
  it('enforce one limit together: 2xx across both = limit, the rest 429', async () => {
    const limit = 12;
    const env = { REDIS_URL: inject('redisUrl'), PREFIX: shared.prefix, LIMIT: String(limit) };
    const processes = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    try {
      const [first, second] = processes as [ServerProcess, ServerProcess];
      // One request each first, so that both processes admit some; then 40 at once, split between them.
      const warmUp = [...(await statuses(`${first.url}/`, 1)), ...(await statuses(`${second.url}/`, 1))];
      expect(warmUp).toEqual([200, 200]);
      const burst = await Promise.all([statuses(`${first.url}/`, 20), statuses(`${second.url}/`, 20)]);
      const all = [...warmUp, ...burst.flat()];
      expect(all.filter((status) => status === 200)).toHaveLength(limit);
      expect(all.filter((status) => status === 429)).toHaveLength(all.length - limit);
      const refused = await fetch(`${second.url}/`);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('ratelimit')).toMatch(/^"api";r=0;t=(59|60)$/);
    } finally {
      await Promise.all(processes.map((process) => process.stop()));
    }
  }, 30_000);
});

/**
 * A TCP proxy to the shared Redis that holds each connection's bytes for `delayMs` before piping
 * them: a Redis whose connection takes that long to become ready.
 */
async function slowProxy(delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const target = parseRedisUrl(inject('redisUrl'));
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((client) => {
    client.pause();
    const upstream = connectTcp(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => (client.destroy(), upstream.destroy()));
    }
    setTimeout(() => {
      client.pipe(upstream).pipe(client);
      client.resume();
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a RedisStore-backed guard used while the connection is still connecting', () => {
  it('is not unlimited: 5 of 50 requests are admitted at limit 5, decided while the connection was not ready', async () => {
    const proxy = await slowProxy(400);
    // What a service does at start-up: a client with ioredis's defaults, used at once.
    const redis = new Redis(proxy.url);
    const seen: string[] = [];
    const store = new RedisStore({ redis, prefix: shared.prefix, timeoutMs: 5_000 });
    const rateLimiter = new RateLimiter({ name: 'connecting', limit: 5, windowMs: 60_000, store, registry: false });
    const served = await serveGuarded({
      rateLimiter,
      key: (request) => (seen.push(redis.status), request.clientKey),
    });
    try {
      const answers = await statuses(`${served.url}/`, 50);
      expect(answers.filter((status) => status === 200)).toHaveLength(5);
      expect(answers.filter((status) => status === 429)).toHaveLength(45);
      expect(seen.filter((status) => status !== 'ready').length).toBeGreaterThan(0);
      expect(rateLimiter.stats()).toMatchObject({ admitted: 5, rejected: 45, storeErrors: 0 });
    } finally {
      await served.close();
      redis.disconnect();
      await proxy.close();
    }
  });
});

describe('a RedisStore-backed guard through a Redis outage (SIGKILL)', () => {
  const timeoutMs = 150;
  let server: RedisServerHandle;
  let redis: Redis;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  const served: Record<StoreErrorPolicy, Served | undefined> = { allow: undefined, deny: undefined, fallback: undefined };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('warning', onWarning);
    server = await startRedisServer();
    redis = await connect(server.url);
    redis.on('error', () => {});
    for (const onStoreError of ['allow', 'deny'] as const) {
      const store = new RedisStore({ redis, prefix: 'outage', timeoutMs });
      const rateLimiter = new RateLimiter({ name: onStoreError, limit: 100, windowMs: 60_000, store, onStoreError, registry: false });
      served[onStoreError] = await serveGuarded({ rateLimiter });
    }
    for (const target of [served.allow, served.deny]) expect((await fetch(`${target?.url}/`)).status).toBe(200);
    await server.stop({ kill: true });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    process.off('warning', onWarning);
    for (const target of [served.allow, served.deny]) await target?.close();
    redis.disconnect();
    await server.stop();
  });

  /** 10 concurrent requests to `target`, each with its status, headers, body and duration. */
  async function during(target: Served | undefined): Promise<{ status: number; headers: string; body: string; ms: number }[]> {
    return Promise.all(
      Array.from({ length: 10 }, async () => {
        const started = performance.now();
        const response = await fetch(`${target?.url}/`);
        const body = await response.text();
        return { status: response.status, headers: JSON.stringify([...response.headers]), body, ms: performance.now() - started };
      }),
    );
  }

  function expectNothingOfRedis(answers: { headers: string; body: string }[]): void {
    for (const { headers, body } of answers) {
      for (const text of [headers, body]) {
        expect(text).not.toMatch(/redis/i);
        expect(text).not.toMatch(/ECONNREFUSED|ECONNRESET|Connection is closed|did not (answer|become ready)|store failed/i);
        expect(text).not.toMatch(/\bat .+:\d+:\d+/);
      }
    }
  }

  it("onStoreError 'allow': answers 200 within the store's timeout, saying nothing of Redis", async () => {
    const answers = await during(served.allow);
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(timeoutMs + 150);
    expectNothingOfRedis(answers);
  });

  it("onStoreError 'deny': answers 429 with Retry-After within the store's timeout, saying nothing of Redis", async () => {
    const answers = await during(served.deny);
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(429));
    expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(timeoutMs + 150);
    for (const answer of answers) expect(JSON.parse(answer.body)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(answers[0]?.headers).toContain('"retry-after","60"');
    expectNothingOfRedis(answers);
  });

  it('reports the outage to the operator (once per limiter), and leaves no unhandled rejection', () => {
    const storeFailed = warnings.filter((warning) => (warning as { code?: string }).code === 'BULWARK_STORE_FAILED');
    expect(storeFailed.map((warning) => /^rate limiter "(\w+)"/.exec(warning.message)?.[1]).sort()).toEqual(['allow', 'deny']);
    expect(unhandled).toEqual([]);
  });
});
