/**
 * `bulwark/middleware/fetch`: the guard for Fetch API handlers (`(request) => Response`: Bun,
 * Deno, Next route handlers, Cloudflare Workers) and as Hono middleware. Loads no framework
 * (Hono's types only).
 *
 * Guide: [middleware.md](../../docs/middleware.md).
 * @module bulwark/middleware/fetch
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Guard, GuardExchange } from './guard';
import type { ResponseEnd } from './response-end';

/** A Fetch API handler; `args` are what the runtime passes after the request (Bun's server, Deno's info). */
export type FetchHandler<Args extends unknown[]> = (request: Request, ...args: Args) => Response | Promise<Response>;

/** Options of {@link guardFetch}. */
export interface GuardFetchOptions<Args extends unknown[]> {
  /**
   * The connection's peer, which a Request does not carry: e.g. `(request, server) =>
   * server.requestIP(request)?.address` on Bun, `(request, info) => info.remoteAddr.hostname` on Deno.
   * Without it every request has the address `''` (one rate-limit key for all, unless `key`
   * or `trustProxy` says otherwise).
   */
  remoteAddress?: (request: Request, ...args: Args) => string | undefined;
}

/**
 * Wraps a Fetch API handler with the guard. The request's permits are held until the handler's
 * Response is returned (its body may stream after that) or the request's signal aborts (the
 * client went away), whichever comes first. A handler's error is rethrown to the runtime.
 * @example
 * ```ts
 * export default { fetch: guardFetch(guard, (request) => new Response('ok'), { remoteAddress: (req, server) => server.requestIP(req)?.address }) };
 * ```
 */
export function guardFetch<Args extends unknown[]>(
  guard: Guard,
  handler: FetchHandler<Args>,
  options: GuardFetchOptions<Args> = {},
): (request: Request, ...args: Args) => Promise<Response> {
  const remoteAddress = options.remoteAddress;
  return async (request, ...args) => {
    const view = guard.request(request.method, pathOf(request.url), request.headers, remoteAddress?.(request, ...args), request);
    const exchange = new FetchExchange(request.signal, () => handler(request, ...args));
    await guard.handle(view, exchange);
    return exchange.response();
  };
}

/** Options of {@link guardHono}. */
export interface GuardHonoOptions {
  /**
   * The connection's peer. @defaultValue the socket address under `@hono/node-server`
   * (`c.env.incoming.socket.remoteAddress`); elsewhere pass your runtime's, e.g. with Hono's
   * `getConnInfo(c).remote.address`
   */
  remoteAddress?: (c: Context) => string | undefined;
}

/**
 * The guard as Hono middleware: `app.use(guardHono(guard))`. Its requests' `route` is Hono's
 * `c.req.routePath` where Hono knows it.
 */
export function guardHono(guard: Guard, options: GuardHonoOptions = {}): MiddlewareHandler {
  const remoteAddress = options.remoteAddress ?? nodeServerAddress;
  return async (c, next) => {
    const raw = c.req.raw;
    const view = guard.request(raw.method, c.req.path, raw.headers, remoteAddress(c), c);
    const exchange = new FetchExchange(raw.signal, async () => {
      await next();
      return c.res;
    });
    await guard.handle(view, exchange);
    const response = exchange.response();
    if (response !== c.res) c.res = response;
  };
}

/** `c.env.incoming.socket.remoteAddress`, which `@hono/node-server` provides. */
function nodeServerAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  return start === -1 ? '/' : url.slice(start);
}

/** One request's exchange with a Fetch handler: headers are added to its Response afterwards. */
class FetchExchange implements GuardExchange {
  readonly #signal: AbortSignal;
  readonly #run: () => Response | Promise<Response>;
  readonly #headers: Array<[string, string]> = [];
  #response: Response | undefined;
  #end: ResponseEnd | undefined;

  constructor(signal: AbortSignal, run: () => Response | Promise<Response>) {
    this.#signal = signal;
    this.#run = run;
  }

  watch(end: ResponseEnd): void {
    this.#end = end;
    const signal = this.#signal;
    if (signal.aborted) return end.disconnected();
    signal.addEventListener('abort', () => end.disconnected(), { once: true });
  }

  setHeader(name: string, value: string): void {
    this.#headers.push([name, value]);
  }

  async proceed(): Promise<void> {
    const response = withHeaders(await this.#run(), this.#headers);
    this.#response = response;
    this.#end?.finished(response.status);
  }

  reply(status: number, headers: Record<string, string>, body: string | undefined): void {
    this.#response = withHeaders(new Response(body ?? null, { status, headers }), this.#headers);
  }

  /** The handler's response (with the guard's headers) or the guard's reply. */
  response(): Response {
    // No response only when the client left while the request waited: nobody reads this one.
    return this.#response ?? new Response(null, { status: 499 });
  }
}

/** `response` with `headers` added; a copy when its headers are immutable (a fetched Response). */
function withHeaders(response: Response, headers: ReadonlyArray<[string, string]>): Response {
  if (headers.length === 0) return response;
  let target = response;
  try {
    for (const [name, value] of headers) target.headers.set(name, value);
  } catch {
    target = new Response(response.body, response);
    for (const [name, value] of headers) target.headers.set(name, value);
  }
  return target;
}
