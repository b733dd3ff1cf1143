// One server process of the "two processes share one limit" test: node:http behind guardMiddleware,
// with a RateLimiter on a RedisStore (REDIS_URL, PREFIX, LIMIT). Sends its port to the parent over
// IPC; on the parent's 'stop' closes the server and the connection and exits.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { RateLimiter } from '../../src/index';
import { createGuard } from '../../src/middleware/index';
import { guardMiddleware } from '../../src/middleware/node';
import { RedisStore } from '../../src/redis/index';

const env = process.env as Record<string, string>;
const redis = new Redis(env.REDIS_URL as string, { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 0 });
await redis.connect();
const store = new RedisStore({ redis, prefix: env.PREFIX as string, timeoutMs: 2_000 });
const rateLimiter = new RateLimiter({ name: 'api', limit: Number(env.LIMIT), windowMs: 60_000, store, registry: false });
const guarded = guardMiddleware(createGuard({ rateLimiter }));
const server = createServer((req, res) => guarded(req, res, () => res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`pid ${process.pid}`)));
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));

process.on('message', (message) => {
  if (message !== 'stop') return;
  server.closeAllConnections();
  server.close(() => {
    redis.disconnect();
    process.disconnect();
  });
});
