import { createServer } from 'node:http';
import express from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/index';
import { toExpressRateLimitStore } from '../../src/middleware/index';
import { listen, type Served } from './support';

const servers: Served[] = [];
afterEach(async () => {
  for (const served of servers.splice(0)) await served.close();
});

async function serve(limiter: RateLimiter, limit: number): Promise<string> {
  const store: Store = toExpressRateLimitStore(limiter);
  const app = express();
  app.use(rateLimit({ windowMs: 60_000, limit, store, standardHeaders: 'draft-8', legacyHeaders: false }));
  app.get('/', (_req, res) => void res.send('ok'));
  const served = await listen(createServer(app));
  servers.push(served);
  return served.url;
}

describe('toExpressRateLimitStore', () => {
  it('lets express-rate-limit enforce a bulwark limiter: `limit` requests pass, the next is refused', async () => {
    const limiter = new RateLimiter({ name: 'erl', limit: 3, windowMs: 60_000, registry: false });
    const url = await serve(limiter, 3);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(url)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(limiter.stats()).toMatchObject({ admitted: 3, rejected: 2 });
  });

  it('reports remaining requests and the reset time through express-rate-limit headers', async () => {
    const limiter = new RateLimiter({ limit: 5, windowMs: 60_000, registry: false });
    const url = await serve(limiter, 5);
    await fetch(url);
    const response = await fetch(url);
    expect(response.headers.get('ratelimit')).toMatch(/r=3; ?t=(59|60)/);
  });

  it('shares one limit between two express-rate-limit middlewares using one limiter', async () => {
    const limiter = new RateLimiter({ limit: 2, windowMs: 60_000, registry: false });
    const first = await serve(limiter, 2);
    const second = await serve(limiter, 2);
    expect((await fetch(first)).status).toBe(200);
    expect((await fetch(second)).status).toBe(200);
    expect((await fetch(first)).status).toBe(429);
  });
});
