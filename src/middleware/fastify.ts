/**
 * `bulwark/middleware/fastify`: the guard as a Fastify (4 and 5) plugin. Loads no framework
 * (Fastify's types only).
 *
 * Guide: [middleware.md](../../docs/middleware.md).
 * @module bulwark/middleware/fastify
 */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { Guard, GuardExchange } from './guard';
import type { ResponseEnd } from './response-end';

/** Options of {@link guardPlugin}. */
export interface GuardPluginOptions {
  /** The guard, from `createGuard`. */
  guard: Guard;
}

/**
 * The guard as a Fastify plugin: `app.register(guardPlugin, { guard })`. It decides in an
 * `onRequest` hook and releases the request's permits in `onResponse` (or when the client
 * disconnects first).
 *
 * Encapsulation: like plugins made with `fastify-plugin`, it does not open a context of its own
 * (`Symbol.for('skip-override')`), so it guards the routes of the context it is registered in and
 * of that context's children: register it at the root for the whole app, or inside a plugin to
 * guard only that plugin's routes. `request.routeOptions.url` is the `route` of its requests; the
 * client address is the socket's peer unless the guard's `trustProxy` says otherwise (Fastify's
 * own `trustProxy` is not read).
 * @example
 * ```ts
 * const app = Fastify();
 * await app.register(guardPlugin, { guard: createGuard({ rateLimiter }) });
 * ```
 */
export const guardPlugin: FastifyPluginCallback<GuardPluginOptions> = Object.assign(
  (fastify: Parameters<FastifyPluginCallback<GuardPluginOptions>>[0], options: GuardPluginOptions, done: (error?: Error) => void) => {
    const { guard } = options;
    const ends = new WeakMap<FastifyRequest, ResponseEnd>();
    fastify.addHook('onRequest', async (request, reply) => {
      const view = guard.request(request.method, request.url, request.headers, request.socket.remoteAddress, request, request.routeOptions.url);
      const exchange = new FastifyExchange(request, reply, ends);
      await guard.handle(view, exchange);
      // Neither run nor answered: the client left while the request waited, and the route's
      // handler must not run for it (without a permit) once the hook returns.
      if (!exchange.proceeded && !reply.sent) reply.hijack();
      if (reply.sent) return reply;
    });
    fastify.addHook('onResponse', async (request, reply) => {
      ends.get(request)?.finished(reply.statusCode);
    });
    done();
  },
  { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'bulwark-guard' },
);

/** One request's exchange with a Fastify reply. */
class FastifyExchange implements GuardExchange {
  /** Whether the guard let the request through to the route's handler. */
  proceeded = false;
  readonly #request: FastifyRequest;
  readonly #reply: FastifyReply;
  readonly #ends: WeakMap<FastifyRequest, ResponseEnd>;

  constructor(request: FastifyRequest, reply: FastifyReply, ends: WeakMap<FastifyRequest, ResponseEnd>) {
    this.#request = request;
    this.#reply = reply;
    this.#ends = ends;
  }

  watch(end: ResponseEnd): void {
    this.#ends.set(this.#request, end);
    const res = this.#reply.raw;
    // `onResponse` reports the finished response; a close before it is a client gone.
    res.on('close', () => {
      if (!res.writableFinished) end.disconnected();
    });
  }

  setHeader(name: string, value: string): void {
    this.#reply.header(name, value);
  }

  proceed(): void {
    this.proceeded = true;
  }

  reply(status: number, headers: Record<string, string>, body: string | undefined): void {
    // Not returned: a FastifyReply is a thenable, which the guard would wait on.
    this.#reply.code(status).headers(headers).send(body);
  }
}
