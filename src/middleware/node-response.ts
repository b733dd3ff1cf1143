/**
 * How a Node `ServerResponse` ends, for the adapters of Node servers (node:http, Express, Connect,
 * Koa): `finish` means it was sent in full, a `close` before it means the client went away.
 * @module
 * @internal
 */
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
 * only `writableFinished` and `statusCode`.
 */
export function watchResponse(res: ServerResponse, end: ResponseEnd): void {
  if (res.destroyed) return settle(res, end);
  res.on('close', () => settle(res, end));
}

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
