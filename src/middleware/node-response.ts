/**
 * How a Node `ServerResponse` ends, for the adapters of Node servers (node:http, Express, Connect,
 * Koa): `finish` means it was sent in full, a `close` before it means the client went away.
 * @module
 * @internal
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { ResponseEnd } from './response-end';

/**
 * Tells `end` how `res` ends, with one listener: Node emits `close` on every response, after
 * `finish` (in the next tick) when it was sent in full, alone when the client went away first. A
 * response that is destroyed already (closed: a client gone while earlier middleware ran; or
 * destroyed by it) settles `end` at once.
 *
 * Cost: under Express each property of `res` read for the first time in a request misses V8's
 * inline caches (Express swaps the prototype of every response), so this reads what Node reads of
 * the response anyway (`destroyed`, which Node checks when the body is written) and, at the end,
 * `writableFinished` and `statusCode` only when `end` needs to know how it ended (see
 * {@link ResponseEnd.outcomeNeeded}): not for a request whose handler has run and whose bulkhead
 * slot is all that waits for the end.
 */
export function watchResponse(res: ServerResponse, end: ResponseEnd): void {
  if (res.destroyed) return settle(res, end);
  addListener.call(res, 'close', () => {
    if (end.outcomeNeeded) settle(res, end);
    else end.closed();
  });
}

/**
 * `EventEmitter`'s own `on`, called on the response rather than looked up on it: under Express
 * that look-up is one more inline-cache miss per request. (A response object that replaces its
 * own `on` is not asked; Node's, Express's and Koa's do not.)
 */
const addListener = EventEmitter.prototype.on;

/** Settles `end` once `res` has closed: finished when it was sent in full, else disconnected. */
function settle(res: ServerResponse, end: ResponseEnd): void {
  if (res.writableFinished) end.finished(res.statusCode);
  else end.disconnected();
}

/** Sends a reply on `res`, unless a response has been started already (then the socket is ended). */
export function sendReply(res: ServerResponse, status: number, headers: Record<string, string>, body: string | undefined): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, headers);
  res.end(body);
}
