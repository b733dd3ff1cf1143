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
 * response that has already ended (a client gone while earlier middleware ran) settles `end` at
 * once.
 */
export function watchResponse(res: ServerResponse, end: ResponseEnd): void {
  if (res.writableFinished) return end.finished(res.statusCode);
  if (res.destroyed || res.closed) return end.disconnected();
  res.on('close', () => {
    if (res.writableFinished) end.finished(res.statusCode);
    else end.disconnected();
  });
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
