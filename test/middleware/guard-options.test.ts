import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, LoadShedder, RateLimiter } from '../../src/index';
import { createGuard, type GuardOptions } from '../../src/middleware/index';
import { guardMiddleware } from '../../src/middleware/node';
import { deferred } from '../support/async';
import { listen, type Served } from './support';

const servers: Served[] = [];
afterEach(async () => {
  for (const served of servers.splice(0)) await served.close();
});

async function serve(options: GuardOptions, handler: () => Promise<void> | void = () => {}): Promise<string> {
  const guarded = guardMiddleware(createGuard(options));
  const served = await listen(createServer((req, res) => guarded(req, res, async () => (await handler(), res.end('ok')))));
  servers.push(served);
  return served.url;
}

describe('guard options', () => {
  it('consumes `cost` units per request, from a number or a function of the request', async () => {
    const rateLimiter = new RateLimiter({ limit: 5, windowMs: 60_000, registry: false });
    const url = await serve({ rateLimiter, cost: (request) => (request.path === '/export' ? 4 : 1) });
    expect((await fetch(`${url}/export`)).headers.get('ratelimit')).toMatch(/;r=1;/);
    expect((await fetch(`${url}/export`)).status).toBe(429);
    expect((await fetch(`${url}/`)).status).toBe(200);
  });

  it('gives the load shedder each request’s priority: at half load low-priority requests are shed, critical ones pass', async () => {
    const loadShedder = new LoadShedder({ maxInFlight: 2, maxQueue: 0, registry: false });
    const gate = deferred<void>();
    let started = 0;
    const url = await serve({ loadShedder, priority: (request) => (request.path === '/healthz' ? 'critical' : request.path === '/batch' ? 'low' : 'normal') }, async () => {
      started++;
      await gate.promise;
    });
    const held = fetch(`${url}/work`);
    await expect.poll(() => started).toBe(1);
    const low = await fetch(`${url}/batch`);
    const critical = fetch(`${url}/healthz`);
    await expect.poll(() => started).toBe(2);
    gate.resolve();
    expect(low.status).toBe(503);
    expect((await critical).status).toBe(200);
    expect((await held).status).toBe(200);
  });

  it('lets skipped requests bypass the guard', async () => {
    const rateLimiter = new RateLimiter({ limit: 1, windowMs: 60_000, registry: false });
    const url = await serve({ rateLimiter, skip: (request) => request.header('x-internal') === 'yes' });
    await fetch(url);
    expect((await fetch(url)).status).toBe(429);
    expect((await fetch(url, { headers: { 'X-Internal': 'yes' } })).status).toBe(200);
  });

  it('answers 500 without details when one of its functions throws', async () => {
    const rateLimiter = new RateLimiter({ limit: 1, windowMs: 60_000, registry: false });
    const onWarning = (): void => {};
    process.on('warning', onWarning);
    try {
      const url = await serve({
        rateLimiter,
        key: () => {
          throw new Error('key function secret');
        },
      });
      const response = await fetch(url);
      expect(response.status).toBe(500);
      expect(await response.text()).not.toContain('secret');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('names every invalid option in one ConfigError', () => {
    let error: unknown;
    try {
      createGuard({ cost: 0, ipv6Subnet: 129, headers: 'rfc' as 'draft', exclude: '/healthz' as unknown as string[] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path).sort()).toEqual(['cost', 'exclude', 'headers', 'ipv6Subnet']);
  });
});
