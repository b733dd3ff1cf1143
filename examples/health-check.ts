/**
 * A `/healthz` endpoint from the registry: every bulwark instance's state and counters as JSON.
 *
 * Every instance joins `defaultRegistry` when it is constructed, unless its options say
 * `registry: false` or name another `Registry`. This example uses a registry of its own so that
 * its report lists only its own instances; an application would usually read `defaultRegistry`.
 *
 * - `status` is `degraded` while any circuit breaker is open, half-open or isolated, else `ok`.
 * - The endpoint answers 200 either way: an open breaker means a dependency is failing, and
 *   restarting this process (what a failed liveness probe does) would not fix it. The body says
 *   what is wrong.
 *
 * Run it: `npx tsx examples/health-check.ts`
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { CircuitBreaker, Registry, Retry, type HealthReport } from 'bulwark';

/** A node:http server whose `/healthz` returns `registry.health()`. */
export function createHealthServer(registry: Registry): Server {
  return createServer((request, response) => {
    if (request.url !== '/healthz') {
      response.writeHead(404).end();
      return;
    }
    const report = registry.health();
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify(report));
  });
}

/** One GET of `/healthz`. */
async function probe(base: string): Promise<{ readonly httpStatus: number; readonly report: HealthReport }> {
  const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
  return { httpStatus: response.status, report: (await response.json()) as HealthReport };
}

export interface HealthCheckResult {
  /** Names of the registered instances at the end, from `registry.list()`. */
  readonly registered: readonly string[];
  /** Whether `registry.get('redis')` is the Redis breaker itself. */
  readonly foundByName: boolean;
  /** `/healthz` while everything is closed. */
  readonly healthy: { readonly httpStatus: number; readonly report: HealthReport };
  /** `/healthz` after the Redis breaker opened. */
  readonly degraded: { readonly httpStatus: number; readonly report: HealthReport };
  /** `/healthz` after the Redis breaker was reset and the Retry unregistered. */
  readonly recovered: { readonly httpStatus: number; readonly report: HealthReport };
}

export async function main(): Promise<HealthCheckResult> {
  const registry = new Registry();
  const redisBreaker = new CircuitBreaker({ name: 'redis', failureThreshold: 2, registry });
  const paymentsBreaker = new CircuitBreaker({ name: 'payments', registry });
  const paymentsRetry = new Retry({ name: 'payments-retry', registry });
  // Not registered anywhere: it will not appear in any report.
  new CircuitBreaker({ name: 'scratch', registry: false });

  const server = createHealthServer(registry);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const signal = new AbortController().signal;
    await paymentsBreaker.execute(async () => 'charged', { signal });
    await paymentsRetry.execute(async () => 'refunded', { signal });
    const healthy = await probe(base);

    // Redis goes down: two failures in a row open its breaker.
    for (let i = 0; i < 2; i++) {
      await redisBreaker
        .execute(async () => {
          throw new Error('ECONNREFUSED 127.0.0.1:6379');
        }, { signal })
        .catch(() => undefined);
    }
    const degraded = await probe(base);

    // Back to normal: reset the breaker by hand; the Retry is taken out of the registry.
    redisBreaker.reset();
    registry.unregister('payments-retry');
    const recovered = await probe(base);

    return {
      registered: registry.list().map((instance) => instance.name),
      foundByName: registry.get('redis') === redisBreaker,
      healthy,
      degraded,
      recovered,
    };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
