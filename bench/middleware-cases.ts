/**
 * The rows of the HTTP guard, in-process (no network): one request through `(req, res, next)`
 * middleware whose `next` ends the response, the same synthetic request and response for every
 * row. `baseline` is a middleware that calls `next` at once: the cost of the request itself, which
 * the group's overheads are measured against. bulwark is `guardMiddleware(createGuard({
 * rateLimiter }))`; express-rate-limit 8 is `rateLimit({...})` with its default MemoryStore. Both
 * count every request under one client address and write two draft RateLimit header fields.
 *
 * The request and response are made once and reset before each request: a plain request object
 * (what Express gives a middleware: `method`, `url`, `originalUrl`, `headers`, `socket`, `ip`, `app`)
 * and an EventEmitter standing for Node's `ServerResponse` (`setHeader`, `headersSent`,
 * `statusCode`, `end()` emitting `finish`), so that neither library pays for the network or for
 * Node's HTTP machinery, and each pays for the listeners it adds to the response.
 * @module
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MemoryStore, rateLimit } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import type { BulwarkModule } from './bulwark';
import type { BenchCase, Group } from './cases';

/** Id of the group of the in-process guard rows. */
export const MIDDLEWARE_GROUP = 'middleware-rate-limit';

/** A limit no row reaches: every request is admitted. */
const NEVER_REACHED = 1e9;

/** The window of both limiters, in ms. */
const WINDOW_MS = 60_000;

/** The groups of this module, in display order. */
export const MIDDLEWARE_GROUPS: readonly Group[] = [
  {
    id: MIDDLEWARE_GROUP,
    label: 'HTTP guard, rate limit (per request)',
    description:
      'one request from 127.0.0.1 through `(req, res, next)` middleware whose `next` ends the response (a synthetic req/res made once, ' +
      'the same for every row); overheads against the group\'s baseline (a middleware that calls `next` at once). ' +
      "bulwark `guardMiddleware(createGuard({ rateLimiter: new RateLimiter({ limit: 1e9, windowMs: 60_000, algorithm: 'sliding-window' }) }))` " +
      "(draft RateLimit-Policy and RateLimit fields); express-rate-limit 8 `rateLimit({ limit: 1e9, windowMs: 60_000, standardHeaders: 'draft-7', legacyHeaders: false })` " +
      '(its default MemoryStore, a fixed window; draft-7 writes the same two fields without hashing the key, as draft-8 does)',
    // Interleaved: the rows allocate differently, and the machine's drift must hit them alike.
    slices: 4,
  },
];

/** The synthetic response: what both middlewares use of Node's `ServerResponse`. */
class SyntheticResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableFinished = false;
  readonly destroyed = false;
  readonly closed = false;
  readonly headers = new Map<string, string>();
  /** Told, once the response has ended, whether it was the handler's 200 (1) or anything else (0). */
  settle: (value: number) => void = () => {};

  setHeader(name: string, value: string): this {
    this.headers.set(name, value);
    return this;
  }

  writeHead(status: number): this {
    this.statusCode = status;
    return this;
  }

  /** Sends the response: `finish`, as Node emits it once the response has been written. */
  end(): this {
    this.headersSent = true;
    this.writableFinished = true;
    this.emit('finish');
    this.settle(this.statusCode === 200 ? 1 : 0);
    return this;
  }

  /** Makes the response new again for the next request. */
  reset(settle: (value: number) => void): void {
    this.statusCode = 200;
    this.headersSent = false;
    this.writableFinished = false;
    this.headers.clear();
    this.settle = settle;
  }
}

/** A middleware in Node's and Express's `(req, res, next)` shape. */
type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => unknown) => unknown;

/** A row's request function, the response it reuses and the middleware it calls. */
interface RequestRow {
  /** One request: resolves to 1 once `next` has ended the response with 200, 0 for any other end. */
  readonly fn: () => Promise<number>;
  readonly response: SyntheticResponse;
  /** The middleware each request goes through; a row may replace it in its `setup`. */
  middleware: Middleware;
}

/** One request at a time through `middleware`, on one request and response made here. */
function requestThrough(middleware: Middleware): RequestRow {
  const request = {
    method: 'GET',
    url: '/products/1',
    originalUrl: '/products/1',
    headers: { host: 'bench.local', accept: '*/*' },
    socket: { remoteAddress: '127.0.0.1' },
    ip: '127.0.0.1',
    // Express's app, which express-rate-limit asks for its `trust proxy` setting once.
    app: { get: (): undefined => undefined },
  } as unknown as IncomingMessage;
  const response = new SyntheticResponse();
  const res = response as unknown as ServerResponse;
  // `next(error)`: a middleware that failed; its request ends as a 500.
  const next = (error?: unknown): void => {
    if (error !== undefined) response.statusCode = 500;
    response.end();
  };
  const row: RequestRow = { fn: () => new Promise<number>(executor), response, middleware };
  function executor(resolve: (value: number) => void): void {
    response.reset(resolve);
    void row.middleware(request, res, next);
  }
  return row;
}

/** Throws unless a request through `row` is admitted and gets both draft RateLimit fields. */
function checkHeaders(name: string, row: RequestRow): () => Promise<void> {
  return async () => {
    if ((await row.fn()) !== 1) throw new Error(`bench: ${name}: the request was not admitted`);
    const missing = ['RateLimit-Policy', 'RateLimit'].filter((field) => !row.response.headers.has(field));
    if (missing.length > 0) throw new Error(`bench: ${name}: no ${missing.join(', ')} field on the response`);
  };
}

/** The rows of {@link MIDDLEWARE_GROUPS}, or none (and a note) when the measured bulwark has no middleware entries. */
export function middlewareCases(bulwark: BulwarkModule, notes: string[]): BenchCase[] {
  const { middleware, middlewareNode } = bulwark;
  if (middleware === undefined || middlewareNode === undefined) {
    notes.push(`${MIDDLEWARE_GROUP} group skipped: the measured bulwark has no middleware entries`);
    return [];
  }
  const rateLimiter = new bulwark.RateLimiter({
    name: 'bench-guard',
    limit: NEVER_REACHED,
    windowMs: WINDOW_MS,
    algorithm: 'sliding-window',
    registry: false,
  });
  const guarded = requestThrough(middlewareNode.guardMiddleware(middleware.createGuard({ rateLimiter })));
  // express-rate-limit's MemoryStore runs an interval: made per phase, shut down after it (see cases.ts).
  let erlStore = new MemoryStore();
  const erlMiddleware = (): Middleware =>
    rateLimit({ limit: NEVER_REACHED, windowMs: WINDOW_MS, standardHeaders: 'draft-7', legacyHeaders: false, store: erlStore }) as RequestHandler as unknown as Middleware;
  const erl = requestThrough(erlMiddleware());
  erlStore.shutdown();
  const bare = requestThrough((_req, _res, next) => next());
  return [
    { group: MIDDLEWARE_GROUP, library: 'baseline', fn: bare.fn },
    { group: MIDDLEWARE_GROUP, library: 'bulwark', fn: guarded.fn, verify: checkHeaders(`${MIDDLEWARE_GROUP}/bulwark`, guarded) },
    {
      group: MIDDLEWARE_GROUP,
      library: 'express-rate-limit',
      fn: erl.fn,
      verify: checkHeaders(`${MIDDLEWARE_GROUP}/express-rate-limit`, erl),
      setup: () => {
        erlStore = new MemoryStore();
        erl.middleware = erlMiddleware();
      },
      teardown: () => erlStore.shutdown(),
    },
  ];
}
