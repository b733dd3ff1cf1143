/**
 * One server of `bench/http.ts`, run in a child process: an Express 5 app with one route,
 * `GET /` → `{"ok":true}`, bare (`bare`), behind `guardMiddleware(createGuard({ rateLimiter,
 * bulkhead }))` (`guarded`), whose limit and slots no load reaches, or behind the least any such
 * middleware does (`floor`: one middleware that sets the two draft RateLimit fields, with a new
 * `remaining` each request, and adds one `close` listener to the response). Loads bulwark from the entries
 * the parent passes (`BULWARK_ENTRIES`, see `bulwark.ts`), so that it measures the same code.
 * Sends `{ port }` over IPC once it listens; answers `cpu` with `{ cpuMicros }`, the CPU time it has
 * used so far; on `stop` closes and exits.
 * @module
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { importBulwark, type BulwarkEntries } from './bulwark';

/** What a server runs: the bare route, or the route behind the guard. */
export type HttpServerMode = 'bare' | 'guarded' | 'floor';

/** What a server sends its parent: its port once it listens, its CPU time when asked. */
export interface ServerMessage {
  readonly port?: number;
  readonly cpuMicros?: number;
}

const mode = process.argv[2] as HttpServerMode;
const app = express();
if (mode === 'guarded') {
  const bulwark = await importBulwark(JSON.parse(process.env['BULWARK_ENTRIES'] ?? '') as BulwarkEntries);
  const { RateLimiter, Bulkhead, middleware, middlewareNode } = bulwark;
  if (middleware === undefined || middlewareNode === undefined) throw new Error('bench: the measured bulwark has no middleware entries');
  const guard = middleware.createGuard({
    rateLimiter: new RateLimiter({ name: 'bench-http', limit: 1e9, windowMs: 60_000, algorithm: 'sliding-window', registry: false }),
    bulkhead: new Bulkhead({ name: 'bench-http', maxInFlight: 1_000, registry: false }),
  });
  app.use(middlewareNode.guardMiddleware(guard));
}
if (mode === 'floor') {
  let remaining = 1e9;
  const ignore = (): void => {};
  app.use((_req, res, next) => {
    res.setHeader('RateLimit-Policy', '"bench-http";q=1000000000;w=60');
    res.setHeader('RateLimit', `"bench-http";r=${--remaining};t=60`);
    res.on('close', ignore);
    next();
  });
}
app.get('/', (_req, res) => {
  res.json({ ok: true });
});
const server = app.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port } satisfies ServerMessage));
process.on('message', (message) => {
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system } satisfies ServerMessage);
    return;
  }
  if (message !== 'stop') return;
  server.closeAllConnections();
  server.close(() => process.disconnect());
});
