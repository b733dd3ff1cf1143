import { createServer } from 'node:http';
import Koa from 'koa';
import { guardMiddleware } from '../../src/middleware/koa';
import { adapterContract } from './adapter-contract';
import { listen } from './support';

adapterContract('Koa 3', async (guard, routes) => {
  const app = new Koa();
  app.silent = true;
  app.use(guardMiddleware(guard));
  app.use(async (ctx) => {
    const { status, body } = await routes.handle(ctx.path);
    ctx.status = status;
    ctx.body = body;
  });
  return listen(createServer(app.callback()));
});
