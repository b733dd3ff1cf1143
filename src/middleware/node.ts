/**
 * `bulwark/middleware/node`: the guard as `(req, res, next)` middleware for node:http, Express
 * (4 and 5) and Connect. Loads no framework.
 *
 * Guide: [middleware.md](../../docs/middleware.md).
 * @module bulwark/middleware/node
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPromiseLike } from '../core/promise-like';
import type { Guard, GuardExchange } from './guard';
import { sendReply, watchResponse } from './node-response';
import { INTERNAL_BODY, INTERNAL_HEADERS, reportError } from './report';
import type { RequestReader } from './request';
import type { ResponseEnd } from './response-end';
import { ignore } from '../core/ignore';

/**
 * What runs after the guard admits a request: Express's and Connect's `next`, or a node:http
 * handler. Called with no argument; a promise it returns is watched for rejection.
 */
export type NextHandler = (error?: unknown) => unknown;

/** A `(req, res, next)` middleware. */
export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: NextHandler) => void;

/**
 * The guard as `(req, res, next)` middleware. For Express and Connect, `app.use(guardMiddleware(guard))`;
 * for node:http, call it with your handler as `next`. The request's client address is the socket's
 * peer, or with the guard's `trustProxy` the forwarding header's right-most untrusted hop (Express's
 * own `trust proxy` setting is not read). A node:http handler that throws (or rejects) frees the
 * request's permits, counts as a failure, and is answered 500 (the error is logged, never sent).
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * const guarded = guardMiddleware(guard);
 * createServer((req, res) => guarded(req, res, () => handle(req, res))).listen(8080);
 * ```
 */
export function guardMiddleware(guard: Guard): NodeMiddleware {
  return (req, res, next) => {
    const request = guard.requestOf(req, NODE_REQUEST, req.socket.remoteAddress);
    const exchange = new NodeExchange(res, next);
    let handled: void | Promise<void>;
    try {
      handled = guard.handle(request, exchange);
    } catch (error) {
      handled = Promise.reject(error);
    }
    if (handled !== undefined) handled.then(undefined, (error: unknown) => exchange.failed(error));
  };
}

/**
 * How the guard reads a Node request, when it needs to: Express's `originalUrl` (its `url` loses
 * the mount path of a router), else the request's own `url`.
 */
const NODE_REQUEST: RequestReader<IncomingMessage> = {
  method: (req) => req.method ?? 'GET',
  url: (req) => (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/',
  headers: (req) => req.headers,
};

/** One request's exchange with a Node response. */
class NodeExchange implements GuardExchange {
  readonly #res: ServerResponse;
  readonly #next: NextHandler;

  constructor(res: ServerResponse, next: NextHandler) {
    this.#res = res;
    this.#next = next;
  }

  watch(end: ResponseEnd): void {
    watchResponse(this.#res, end);
  }

  /**
   * Sets a field unless the response's header has been sent (by earlier middleware): Node then
   * throws, which costs nothing until it happens, where reading `headersSent` first would cost a
   * property read per request (see {@link watchResponse}).
   */
  setHeader(name: string, value: string): void {
    try {
      this.#res.setHeader(name, value);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_HTTP_HEADERS_SENT') throw error;
    }
  }

  proceed(): void | Promise<void> {
    const result = this.#next();
    if (isPromiseLike(result)) return Promise.resolve(result).then(ignore);
  }

  reply(status: number, headers: Record<string, string>, body: string | undefined): void {
    sendReply(this.#res, status, headers, body);
  }

  /** The handler threw: a 500 if nothing was sent yet. */
  failed(error: unknown): void {
    reportError(error, 'the request handler threw');
    sendReply(this.#res, 500, { ...INTERNAL_HEADERS }, INTERNAL_BODY);
  }
}

