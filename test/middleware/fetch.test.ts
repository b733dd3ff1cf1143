import type { Server } from 'node:http';
import { createAdaptorServer, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { guardFetch, guardHono } from '../../src/middleware/fetch';
import { adapterContract } from './adapter-contract';
import { listen } from './support';

adapterContract('Fetch API (guardFetch)', async (guard, routes) => {
  const handler = guardFetch(
    guard,
    async (request: Request, _env: HttpBindings | Http2Bindings) => {
      const { status, body } = await routes.handle(new URL(request.url).pathname);
      return new Response(body, { status, headers: { 'Content-Type': 'text/plain' } });
    },
    { remoteAddress: (_request, env) => env.incoming.socket.remoteAddress },
  );
  return listen(createAdaptorServer({ fetch: handler }) as Server);
});

adapterContract('Hono 4', async (guard, routes) => {
  const app = new Hono();
  app.onError((_error, c) => c.text('internal error', 500));
  app.use(guardHono(guard));
  app.get('*', async (c) => {
    const { status, body } = await routes.handle(c.req.path);
    return c.text(body, status as 200);
  });
  return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
});
