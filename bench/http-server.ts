/**
 * One server of `bench/http.ts`, run in a child process: an Express 5 app with one route,
 * `GET /` → `{"ok":true}`, bare (`bare`), behind `guardMiddleware(createGuard({ rateLimiter,
 * bulkhead }))` (`guarded`), whose limit and slots no load reaches, the same guard with
 * `headers: false` (`guarded-no-headers`: what the rate-limit header fields cost), or behind the
 * least any such middleware does (`floor`: one middleware that sets the two draft RateLimit
 * fields, with a new `remaining` each request, and adds one `close` listener to the response),
 * behind the guard with only its rate limiter (`guarded-rate-limit`) or only its bulkhead
 * (`guarded-bulkhead`), for where the guard's cost goes, or behind the peer, express-rate-limit 8
 * with its MemoryStore, the same limit and the draft-8 header fields (`express-rate-limit`).
 * Loads bulwark from the entries the parent passes (`BULWARK_ENTRIES`, see `bulwark.ts`), so that
 * it measures the same code.
 * Sends `{ port }` over IPC once it listens; answers `cpu` with `{ cpu }`, the CPU time it has used
 * so far (see {@link ServerCpu}); on `stop` closes and exits.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { importBulwark, type BulwarkEntries } from './bulwark';

/** What a server runs: the bare route, or the route behind the guard. */
export type HttpServerMode = 'bare' | 'guarded' | 'guarded-no-headers' | 'guarded-rate-limit' | 'guarded-bulkhead' | 'floor' | 'express-rate-limit';

/** The CPU time a server process has used so far, split where it went. */
export interface ServerCpu {
  /** User-mode CPU time of the whole process (`process.cpuUsage().user`), in µs. */
  readonly userMicros: number;
  /** Kernel-mode CPU time of the whole process (`process.cpuUsage().system`), in µs. */
  readonly systemMicros: number;
  /**
   * On-CPU time of the main (JavaScript) thread, in µs, from the kernel's scheduler statistics
   * (`/proc/self/task/<tid>/schedstat`); NaN where they are not available. The rest of the
   * process's CPU time is spent by its other threads: V8's GC and compiler helpers, libuv's pool.
   */
  readonly mainThreadMicros: number;
  /**
   * Time the process's threads were ready to run but waited for a CPU, in µs (schedstat); NaN
   * where not available. More than a few % of the load's wall time: another process shared the
   * server's core.
   */
  readonly waitMicros: number;
}

/** What a server sends its parent: its port once it listens, its CPU time when asked. */
export interface ServerMessage {
  readonly port?: number;
  readonly cpu?: ServerCpu;
}

/** The on-CPU and run-queue times (ns) of one thread, from its schedstat line; undefined where there is none. */
function schedstat(tid: string): [number, number] | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ');
    return [Number(run), Number(wait)];
  } catch {
    return undefined;
  }
}

function cpuNow(): ServerCpu {
  const { user, system } = process.cpuUsage();
  let mainThreadMicros = Number.NaN;
  let waitMicros = Number.NaN;
  let tids: string[] = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    // Not Linux: the split is unknown.
  }
  for (const tid of tids) {
    const times = schedstat(tid);
    if (times === undefined) continue;
    if (tid === String(process.pid)) mainThreadMicros = times[0] / 1000;
    waitMicros = (Number.isNaN(waitMicros) ? 0 : waitMicros) + times[1] / 1000;
  }
  return { userMicros: user, systemMicros: system, mainThreadMicros, waitMicros };
}

const mode = process.argv[2] as HttpServerMode;
const app = express();
if (mode.startsWith('guarded')) {
  const bulwark = await importBulwark(JSON.parse(process.env['BULWARK_ENTRIES'] ?? '') as BulwarkEntries);
  const { RateLimiter, Bulkhead, middleware, middlewareNode } = bulwark;
  if (middleware === undefined || middlewareNode === undefined) throw new Error('bench: the measured bulwark has no middleware entries');
  const rateLimiter = new RateLimiter({ name: 'bench-http', limit: 1e9, windowMs: 60_000, algorithm: 'sliding-window', registry: false });
  const bulkhead = new Bulkhead({ name: 'bench-http', maxInFlight: 1_000, registry: false });
  const guard = middleware.createGuard({
    ...(mode === 'guarded-bulkhead' ? {} : { rateLimiter }),
    ...(mode === 'guarded-rate-limit' ? {} : { bulkhead }),
    ...(mode === 'guarded-no-headers' ? { headers: false } : {}),
  });
  app.use(middlewareNode.guardMiddleware(guard));
}
if (mode === 'express-rate-limit') {
  const { rateLimit } = await import('express-rate-limit');
  app.use(rateLimit({ windowMs: 60_000, limit: 1e9, standardHeaders: 'draft-8', legacyHeaders: false, identifier: 'bench-http' }));
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
    process.send?.({ cpu: cpuNow() } satisfies ServerMessage);
    return;
  }
  if (message !== 'stop') return;
  server.closeAllConnections();
  server.close(() => process.disconnect());
});
