/**
 * A small Express service protected by the HTTP guard: `createGuard` from `bulwark/middleware`,
 * `guardMiddleware` from `bulwark/middleware/node`, and Redis through `bulwark/redis`.
 *
 * - `GET /products/:id` reads the product through a Redis cache (a `guardRedis`-wrapped ioredis
 *   client: a Redis outage makes the read fail fast, and the route then reads the catalog
 *   directly), then asks a flaky pricing service (simulated in-process) for the price. When
 *   pricing fails the route answers 502.
 * - The guard, in front of every route but `/healthz`: a `RateLimiter` on a `RedisStore` (one
 *   limit per client address shared by every process of the service: 429 with `Retry-After`),
 *   a `Bulkhead` (at most 50 requests handled at once, 100 waiting: 503 when full), and a
 *   `CircuitBreaker` that counts every 5xx response: after 5 in a row it answers 503 at once,
 *   without calling the route, until pricing has had 10 s to recover.
 * - One ioredis connection, made with `enableOfflineQueue: false` and `maxRetriesPerRequest: 1`
 *   (see docs/guard-redis.md): the rate limiter's store uses it as it is, the cache reads through
 *   the guarded view. The service uses its own key prefix; `close()` closes the HTTP server,
 *   deletes the service's keys and closes the connection.
 *
 * Needs Redis at `REDIS_URL` (default `redis://127.0.0.1:6379`).
 * Run it: `npx tsx examples/http-service/server.ts`, then `curl -i localhost:3000/products/1`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { Redis } from 'ioredis';
import { Bulkhead, CircuitBreaker, RateLimiter } from 'bulwark';
import { createGuard } from 'bulwark/middleware';
import { guardMiddleware } from 'bulwark/middleware/node';
import { guardOf, guardRedis, RedisStore } from 'bulwark/redis';

/** A product as the service returns it. */
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly price: number;
  /** Whether the product came from the Redis cache rather than the catalog. */
  readonly cached: boolean;
}

/** The catalog the cache reads through to: the slow source of truth. */
const CATALOG: ReadonlyMap<string, string> = new Map([
  ['1', 'kettle'],
  ['2', 'teapot'],
  ['3', 'mug'],
]);

/** How long a product stays in the cache, in seconds. */
const CACHE_TTL_S = 60;

/** The pricing service the route depends on, simulated: set `failing` to make every call fail. */
export class PricingService {
  /** While true, every call fails, as a downstream in an outage does. */
  failing = false;
  /** Calls made, failed ones included. */
  calls = 0;

  /** The price of product `id`, in cents, after a few ms. */
  async price(id: string): Promise<number> {
    this.calls++;
    await delay(2);
    if (this.failing) throw new Error('pricing: 503 Service Unavailable');
    return 100 * Number(id) + 99;
  }
}

/** Options of {@link start}. */
export interface HttpServiceOptions {
  /** The Redis to use. @defaultValue `REDIS_URL` or `redis://127.0.0.1:6379` */
  readonly redisUrl?: string;
  /** The port to listen on (0: any free port). @defaultValue 0 */
  readonly port?: number;
  /** Requests per client address per minute. @defaultValue 100 */
  readonly limit?: number;
}

/** A running service. */
export interface HttpService {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The first part of every Redis key the service writes. */
  readonly prefix: string;
  /** The simulated pricing service, to make it fail. */
  readonly pricing: PricingService;
  /** The guard's circuit breaker. */
  readonly breaker: CircuitBreaker;
  /** Stops accepting requests, deletes the service's keys and closes the Redis connection; once, however often called. */
  close(): Promise<void>;
}

/** Starts the service; resolves once it listens. */
export async function start(options: HttpServiceOptions = {}): Promise<HttpService> {
  const prefix = `bulwark-example-http-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(options.redisUrl ?? process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  });
  await redis.connect();
  const cache = guardRedis(redis, { name: `${prefix}-cache`, registry: false });
  const pricing = new PricingService();

  /** The product's name: from the cache, else from the catalog (then cached); the catalog alone while Redis fails. */
  async function productName(id: string): Promise<{ name: string | undefined; cached: boolean }> {
    const key = `${prefix}:product:${id}`;
    try {
      const name = await cache.get(key);
      if (name !== null) return { name, cached: true };
    } catch {
      return { name: CATALOG.get(id), cached: false };
    }
    const name = CATALOG.get(id);
    if (name !== undefined) await cache.set(key, name, 'EX', CACHE_TTL_S).catch(() => undefined);
    return { name, cached: false };
  }

  const breaker = new CircuitBreaker({ name: 'products', failureThreshold: 5, recoveryTimeoutMs: 10_000, registry: false });
  const guard = createGuard({
    rateLimiter: new RateLimiter({
      name: 'products',
      limit: options.limit ?? 100,
      windowMs: 60_000,
      store: new RedisStore({ redis, prefix: `${prefix}:rl` }),
      registry: false,
    }),
    bulkhead: new Bulkhead({ name: 'products', maxInFlight: 50, maxQueue: 100, maxWaitMs: 2_000, registry: false }),
    circuitBreaker: breaker,
    exclude: ['/healthz'],
  });

  const app = express();
  app.use(guardMiddleware(guard));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/products/:id', async (req, res) => {
    const id = req.params.id;
    const { name, cached } = await productName(id);
    if (name === undefined) {
      res.status(404).json({ error: `no product ${id}` });
      return;
    }
    try {
      const product: Product = { id, name, price: await pricing.price(id), cached };
      res.json(product);
    } catch {
      res.status(502).json({ error: 'pricing is unavailable' });
    }
  });

  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const shutDown = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    await deleteUnder(redis, prefix);
    guardOf(cache)?.dispose();
    await redis.quit();
  };
  let closing: Promise<void> | undefined;
  return { url: `http://127.0.0.1:${port}`, prefix, pricing, breaker, close: () => (closing ??= shutDown()) };
}

/** Deletes every key under `prefix`, with SCAN (never KEYS or FLUSHDB on a shared server). */
async function deleteUnder(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const service = await start({ port: Number(process.env['PORT'] ?? 3000) });
  console.log(`listening on ${service.url}; try ${service.url}/products/1 (Ctrl-C to stop)`);
  process.once('SIGINT', () => void service.close());
}
