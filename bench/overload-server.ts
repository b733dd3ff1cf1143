/**
 * The server process of `npm run bench:overload`: a node:http server whose handler calls a
 * simulated downstream through one configuration of overload protection. The orchestrator
 * (bench/overload.ts) sends `{ configure }` over IPC before each point: a fresh guard and a fresh
 * downstream, so that no point inherits a limit from the one before; `{ trace }` returns the
 * limit an adaptive guard recorded every 100 ms.
 *
 * The downstream serves `capacity` calls at once at 20 ms; a call arriving with `active` calls in
 * progress (itself included) takes `20 ms × max(1, active / capacity)`; each request also costs
 * 0.2 ms of CPU in the handler. Its capacity halves at `halveAtMs` when set. With `scale`, every
 * duration (the latency, the Bulkhead's wait, the Timeout) is `scale` times longer.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  AdaptiveConcurrencyLimiter,
  Bulkhead,
  compose,
  LoadShedder,
  Timeout,
  type Policy,
  type Priority,
} from '../src/index';
import type { ConfigName, ServerCommand } from './overload-configs';

const BASE_LATENCY_MS = 20;
const CPU_MS = 0.2;

let guard: Policy | undefined;
let limiter: AdaptiveConcurrencyLimiter | undefined;
let priority: Priority = 'normal';
let scale = 1;
let trace: Array<[number, number, number]> = [];
let timers: NodeJS.Timeout[] = [];

function build(name: ConfigName): void {
  limiter = undefined;
  priority = name === 'shedder-critical' ? 'critical' : 'normal';
  const adaptive = (algorithm: 'aimd' | 'gradient2' | 'vegas') =>
    (limiter = new AdaptiveConcurrencyLimiter({ algorithm, registry: false }));
  switch (name) {
    case 'none':
      guard = undefined;
      return;
    case 'bulkhead':
      guard = new Bulkhead({ maxInFlight: 20, maxQueue: 100, maxWaitMs: 400 * scale, registry: false });
      return;
    case 'shedder':
    case 'shedder-critical':
      guard = new LoadShedder({ maxInFlight: 20, registry: false });
      return;
    case 'shedder-queue-1':
      guard = new LoadShedder({ maxInFlight: 20, maxQueue: 1, registry: false });
      return;
    case 'shedder-no-queue':
      guard = new LoadShedder({ maxInFlight: 20, maxQueue: 0, registry: false });
      return;
    case 'gradient2':
    case 'vegas':
    case 'aimd':
      guard = adaptive(name);
      return;
    case 'aimd-timeout':
      guard = compose(adaptive('aimd'), new Timeout({ timeoutMs: 100 * scale, registry: false }));
  }
}

function burnCpu(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: the handler's own work
  }
}

/**
 * The simulated downstream of one point. Each point gets its own, so that calls an unprotected
 * configuration left running (for seconds, past its callers' deadline) do not slow the next one.
 */
class Downstream {
  capacity: number;
  #active = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Calls in progress. */
  get active(): number {
    return this.#active;
  }

  /** One call; it ignores aborts, as a remote service would. */
  call(): Promise<string> {
    const latencyMs = BASE_LATENCY_MS * scale * Math.max(1, ++this.#active / this.capacity);
    return new Promise((resolve) =>
      setTimeout(() => {
        this.#active--;
        resolve('ok');
      }, latencyMs),
    );
  }
}

let downstream = new Downstream(20);

async function handle(_request: IncomingMessage, response: ServerResponse): Promise<void> {
  burnCpu(CPU_MS);
  try {
    const current = downstream;
    const body = guard === undefined ? await current.call() : await guard.execute(() => current.call(), { priority });
    response.writeHead(200).end(body);
  } catch {
    response.writeHead(503).end('shed');
  }
}

const server = createServer((request, response) => void handle(request, response));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address !== null ? address.port : 0 });
});

/**
 * Resolves once the downstream has no call left, or after `maxMs`: the calls an unprotected
 * configuration left behind would otherwise burn the next point's CPU as they end.
 */
async function drained(previous: Downstream, maxMs: number): Promise<void> {
  const until = performance.now() + maxMs;
  while (previous.active > 0 && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
}

process.on('message', (command: ServerCommand) => void obey(command));

async function obey(command: ServerCommand): Promise<void> {
  if ('configure' in command) {
    await drained(downstream, 60_000);
    for (const timer of timers) clearTimeout(timer);
    timers = [];
    scale = command.scale;
    build(command.configure);
    const current = new Downstream(command.capacity);
    downstream = current;
    trace = [];
    const started = performance.now();
    if (command.halveAtMs !== undefined) timers.push(setTimeout(() => (current.capacity /= 2), command.halveAtMs));
    if (limiter !== undefined) {
      const sample = setInterval(() => trace.push([Math.round(performance.now() - started), limiter?.limit ?? 0, current.capacity]), 100);
      timers.push(sample);
    }
    process.send?.({ ready: true });
  } else if ('trace' in command) {
    process.send?.({ trace });
  } else {
    for (const timer of timers) clearTimeout(timer);
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
}
