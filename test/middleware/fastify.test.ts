import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/index';
import { createGuard } from '../../src/middleware/index';
import { guardPlugin } from '../../src/middleware/fastify';
import { adapterContract } from './adapter-contract';
import type { Served } from './support';

async function listenFastify(app: ReturnType<typeof Fastify>): Promise<Served> {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

adapterContract('Fastify 5', async (guard, routes) => {
  const app = Fastify({ forceCloseConnections: true });
  await app.register(guardPlugin, { guard });
  app.get('/*', async (request, reply) => {
    const { status, body } = await routes.handle(new URL(request.url, 'http://x').pathname);
    return reply.code(status).type('text/plain').send(body);
  });
  return listenFastify(app);
});

describe('Fastify plugin encapsulation', () => {
  const apps: Served[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  it('guards the routes of the context it is registered in, not its siblings', async () => {
    const app = Fastify({ forceCloseConnections: true });
    const guard = createGuard({ rateLimiter: new RateLimiter({ limit: 1, windowMs: 60_000, registry: false }) });
    await app.register(async (scope) => {
      await scope.register(guardPlugin, { guard });
      scope.get('/guarded', async () => 'guarded');
    });
    app.get('/open', async () => 'open');
    const served = await listenFastify(app);
    apps.push(served);
    expect((await fetch(`${served.url}/guarded`)).status).toBe(200);
    expect((await fetch(`${served.url}/guarded`)).status).toBe(429);
    for (let i = 0; i < 3; i++) expect((await fetch(`${served.url}/open`)).status).toBe(200);
  });

  it('gives key functions the matched route pattern', async () => {
    const app = Fastify({ forceCloseConnections: true });
    const routes: Array<string | undefined> = [];
    const guard = createGuard({
      rateLimiter: new RateLimiter({ limit: 10, windowMs: 60_000, registry: false }),
      key: (request) => (routes.push(request.route), request.clientKey),
    });
    await app.register(guardPlugin, { guard });
    app.get('/users/:id', async () => 'user');
    const served = await listenFastify(app);
    apps.push(served);
    await fetch(`${served.url}/users/42`);
    expect(routes).toEqual(['/users/:id']);
  });
});
