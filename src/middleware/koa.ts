/**
 * `bulwark/middleware/koa`: the guard as Koa (2 and 3) middleware. Loads no framework (Koa's
 * types only).
 *
 * Guide: [middleware.md](../../docs/middleware.md).
 * @module bulwark/middleware/koa
 */
import type { Context, Middleware, Next } from 'koa';
import type { Guard, GuardExchange } from './guard';
import { watchResponse } from './node-response';
import type { ResponseEnd } from './response-end';

/**
 * The guard as Koa middleware: `app.use(guardMiddleware(guard))`. Errors of later middleware
 * propagate unchanged (the guard counts them as failures first); the client address is the
 * socket's peer unless the guard's `trustProxy` says otherwise (Koa's `app.proxy` is not read).
 * @example
 * ```ts
 * const app = new Koa();
 * app.use(guardMiddleware(createGuard({ rateLimiter, trustProxy: 1 })));
 * ```
 */
export function guardMiddleware(guard: Guard): Middleware {
  return (ctx, next) => {
    const request = guard.request(ctx.method, ctx.originalUrl, ctx.headers, ctx.req.socket.remoteAddress, ctx);
    return guard.handle(request, new KoaExchange(ctx, next)) ?? Promise.resolve();
  };
}

/** One request's exchange with a Koa context. */
class KoaExchange implements GuardExchange {
  readonly #ctx: Context;
  readonly #next: Next;

  constructor(ctx: Context, next: Next) {
    this.#ctx = ctx;
    this.#next = next;
  }

  watch(end: ResponseEnd): void {
    watchResponse(this.#ctx.res, end);
  }

  setHeader(name: string, value: string): void {
    this.#ctx.set(name, value);
  }

  proceed(): Promise<void> {
    return this.#next() as Promise<void>;
  }

  reply(status: number, headers: Record<string, string>, body: string | undefined): void {
    const ctx = this.#ctx;
    ctx.status = status;
    ctx.set(headers);
    ctx.body = body ?? null;
  }
}
