import { describe, expect, it, vi } from 'vitest';
import { Bulkhead, RateLimiter } from '../../src/index';
import { createGuard, type GuardOptions } from '../../src/middleware/index';
import { createServer, type ServerResponse } from 'node:http';
import express from 'express';
import { guardMiddleware } from '../../src/middleware/node';
import { adapterContract } from './adapter-contract';
import { listen } from './support';

adapterContract('node:http', async (guard, routes) => {
  const guarded = guardMiddleware(guard);
  const server = createServer((req, res) =>
    guarded(req, res, async () => {
      const { status, body } = await routes.handle(new URL(req.url ?? '/', 'http://x').pathname);
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body);
    }),
  );
  return listen(server);
});

adapterContract('Express 5', async (guard, routes) => {
  const app = express();
  app.use(guardMiddleware(guard));
  app.use(async (req, res) => {
    const { status, body } = await routes.handle(req.path);
    res.status(status).type('text').send(body);
  });
  return listen(createServer(app));
});

describe('node:http adapter', () => {
  it('answers a throwing handler with a 500 that says nothing of the error', async () => {
    const guard = createGuard({ bulkhead: new Bulkhead({ maxInFlight: 1, registry: false }) });
    const guarded = guardMiddleware(guard);
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    const served = await listen(
      createServer((req, res) =>
        guarded(req, res, () => {
          throw new Error('secret internals');
        }),
      ),
    );
    try {
      const response = await fetch(`${served.url}/`);
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const body = await response.text();
      expect(body).not.toContain('secret');
      expect(JSON.parse(body)).toMatchObject({ status: 500, code: 'INTERNAL' });
      await vi.waitFor(() => expect(warnings.some((message) => message.includes('secret internals'))).toBe(true));
    } finally {
      process.off('warning', onWarning);
      await served.close();
    }
  });

  it('runs the handler before the middleware returns when a MemoryStore rate limiter and a free bulkhead slot admit the request', async () => {
    const guarded = guardMiddleware(
      createGuard({
        rateLimiter: new RateLimiter({ limit: 10, windowMs: 60_000, registry: false }),
        bulkhead: new Bulkhead({ maxInFlight: 1, registry: false }),
      }),
    );
    const ranBeforeReturn: boolean[] = [];
    const served = await listen(
      createServer((req, res) => {
        let ran = false;
        guarded(req, res, () => {
          ran = true;
          res.end('ok');
        });
        ranBeforeReturn.push(ran);
      }),
    );
    try {
      for (let i = 0; i < 3; i++) expect((await fetch(`${served.url}/`)).status).toBe(200);
    } finally {
      await served.close();
    }
    expect(ranBeforeReturn).toEqual([true, true, true]);
  });

  it('frees a slot taken at once (MemoryStore rate limiter, free bulkhead slot) when the client disconnects, and when the handler throws', async () => {
    const bulkhead = new Bulkhead({ maxInFlight: 1, registry: false });
    const guarded = guardMiddleware(createGuard({ rateLimiter: new RateLimiter({ name: 'api', limit: 100, windowMs: 60_000, registry: false }), bulkhead }));
    let started = 0;
    const served = await listen(
      createServer((req, res) =>
        guarded(req, res, () => {
          started++;
          if (req.url === '/throw') throw new Error('handler failed');
          if (req.url === '/ok') res.end('ok');
        }),
      ),
    );
    try {
      const controller = new AbortController();
      const hanging = fetch(`${served.url}/hang`, { signal: controller.signal }).catch((error: unknown) => error);
      await vi.waitFor(() => expect(started).toBe(1));
      expect(bulkhead.inFlight).toBe(1);
      controller.abort();
      await hanging;
      await vi.waitFor(() => expect(bulkhead.inFlight).toBe(0));
      expect((await fetch(`${served.url}/throw`)).status).toBe(500);
      await vi.waitFor(() => expect(bulkhead.inFlight).toBe(0));
      const ok = await fetch(`${served.url}/ok`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit')).toBe('"api";r=97;t=60');
      await vi.waitFor(() => expect(bulkhead.inFlight).toBe(0));
    } finally {
      await served.close();
    }
  });

  it('asks a rate limiter without consumeNow (one of an older loaded copy of bulwark) through consume', async () => {
    const limiter = new RateLimiter({ name: 'older', limit: 2, windowMs: 60_000, registry: false });
    const older = {
      name: limiter.name,
      rule: limiter.rule,
      consume: (key: string | number, cost?: number) => limiter.consume(key, cost),
      execute: limiter.execute.bind(limiter),
    } as unknown as RateLimiter;
    const guarded = guardMiddleware(createGuard({ rateLimiter: older }));
    const served = await listen(createServer((req, res) => guarded(req, res, () => res.end('ok'))));
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${served.url}/`)).status);
      expect(statuses).toEqual([200, 200, 429]);
      expect(limiter.stats()).toMatchObject({ admitted: 2, rejected: 1 });
    } finally {
      await served.close();
    }
  });

  it('adds no listener to the response when a rate limiter is the only policy (nothing is held until the end), one when a permit is held', async () => {
    /** The response's close and finish listeners that the handler sees behind `guard` (none: unguarded). */
    async function listenersBehind(options: GuardOptions | undefined): Promise<number> {
      const guarded = options === undefined ? undefined : guardMiddleware(createGuard(options));
      let seen = -1;
      const handle = (res: ServerResponse): void => {
        seen = res.listenerCount('close') + res.listenerCount('finish');
        res.end('ok');
      };
      const served = await listen(createServer((req, res) => (guarded === undefined ? handle(res) : guarded(req, res, () => handle(res)))));
      try {
        expect((await fetch(`${served.url}/`)).status).toBe(200);
      } finally {
        await served.close();
      }
      return seen;
    }
    const unguarded = await listenersBehind(undefined);
    const rateLimiter = new RateLimiter({ limit: 10, windowMs: 60_000, registry: false });
    expect(await listenersBehind({ rateLimiter })).toBe(unguarded);
    const bulkhead = new Bulkhead({ maxInFlight: 1, registry: false });
    expect(await listenersBehind({ rateLimiter, bulkhead })).toBe(unguarded + 1);
  });

  it('shows options the method, the path of the original URL (also under a mounted router) without its query, and the headers', async () => {
    const seen: string[] = [];
    const guard = createGuard({
      rateLimiter: new RateLimiter({ limit: 10, windowMs: 60_000, registry: false }),
      key: (request) => {
        seen.push(`${request.method} ${request.path} ${request.header('x-api-key') ?? '-'}`);
        return 'one';
      },
    });
    const app = express();
    const api = express.Router();
    api.use(guardMiddleware(guard));
    api.all('/items/:id', (_req, res) => void res.send('ok'));
    app.use('/api', api);
    const served = await listen(createServer(app));
    try {
      expect((await fetch(`${served.url}/api/items/7?page=2`, { headers: { 'X-Api-Key': 'k1' } })).status).toBe(200);
      expect((await fetch(`${served.url}/api/items/8`, { method: 'DELETE' })).status).toBe(200);
      expect(seen).toEqual(['GET /api/items/7 k1', 'DELETE /api/items/8 -']);
    } finally {
      await served.close();
    }
  });

  it('lets the response of earlier middleware that answered and still called next stand, without the guard’s fields, and runs the next handler', async () => {
    const errors: unknown[] = [];
    let handled = false;
    const app = express();
    app.use((_req, res, next) => {
      res.status(202).send('answered early');
      next();
    });
    app.use(guardMiddleware(createGuard({ rateLimiter: new RateLimiter({ limit: 10, windowMs: 60_000, registry: false }) })));
    app.use((_req, res) => {
      handled = true;
      res.end();
    });
    app.use((error: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
      errors.push(error);
      next();
    });
    const served = await listen(createServer(app));
    try {
      const response = await fetch(`${served.url}/`);
      expect(response.status).toBe(202);
      expect(await response.text()).toBe('answered early');
      expect(response.headers.get('ratelimit')).toBeNull();
      await vi.waitFor(() => expect(handled).toBe(true));
      expect(errors).toEqual([]);
    } finally {
      await served.close();
    }
  });
});
