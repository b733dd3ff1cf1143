/**
 * Metrics that add up across a `node:cluster` of 4 workers: each worker records its numbers into a
 * `RedisMetricsSink` (`bulwark/redis`), and whichever worker answers `GET /metrics` prints every
 * worker's numbers combined, read back with `collectFromRedis`.
 *
 * - Each worker runs calls through a CircuitBreaker `payments` (a successful call per order, and
 *   some failures) and counts orders on a prom-client Counter of its own registry.
 * - `sink.trackBulwark()` records bulwark's own metric set (`bulwark_calls_total`, the breaker's
 *   state, …) and `sink.track(registry)` the user's prom-client metrics; both are flushed to Redis
 *   every 100 ms, off the request path.
 * - The workers share one port (the cluster's round robin): `GET /metrics` serves
 *   `metricsHandler(() => collectFromRedis({ redis, prefix }))`, `GET /healthz` the worker's
 *   `healthHandler` (503 when the `payments` breaker, marked critical, is open).
 * - The primary waits for the 4 workers, reads both endpoints, then disconnects the workers (each
 *   flushes its last numbers and closes its connection) and deletes the example's keys.
 *
 * Needs Redis at `REDIS_URL` (default `redis://127.0.0.1:6379`).
 * Run it: `npx tsx examples/metrics.ts`
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { Counter, Registry as PromRegistry } from 'prom-client';
import { CircuitBreaker, Registry } from 'bulwark';
import { healthHandler, metricsHandler } from 'bulwark/middleware';
import { collectFromRedis, RedisMetricsSink } from 'bulwark/redis';

const WORKERS = 4;

/** What one worker did, as it reports it to the primary. */
interface WorkerReport {
  readonly port: number;
  readonly orders: number;
  readonly failures: number;
}

export interface MetricsResult {
  /** Orders the workers counted, summed from their own reports. */
  readonly ordersDone: number;
  /** Failed payment calls, summed from the workers' reports. */
  readonly failuresDone: number;
  /** `orders_total` as `GET /metrics` printed it: every worker's count, added up in Redis. */
  readonly ordersServed: number | undefined;
  /** `bulwark_calls_total` of the `payments` breaker as `GET /metrics` printed it, by outcome. */
  readonly paymentCallsServed: { readonly success: number | undefined; readonly failure: number | undefined };
  /** How many workers' breakers `bulwark_circuit_breaker_state{state="closed"}` counted (mode `live`: summed). */
  readonly closedBreakers: number | undefined;
  /** The HTTP status and `status` field of `GET /healthz`. */
  readonly health: { readonly httpStatus: number; readonly status: string };
  /** Keys under the example's prefix after its cleanup. */
  readonly keysLeft: number;
}

/** The value of the sample `series` (`name{labels}` as printed) in a text exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** A worker: counts its calls and orders into the sink, then serves /metrics and /healthz until disconnected. */
async function runWorker(url: string, prefix: string): Promise<void> {
  const id = cluster.worker?.id ?? 0;
  const redis = new Redis(url, { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const instances = new Registry();
  const registry = new PromRegistry();
  const orders = new Counter({ name: 'orders_total', help: 'Orders taken', registers: [registry] });
  const sink = new RedisMetricsSink({ redis, prefix, instanceId: `worker-${id}`, flushIntervalMs: 100 })
    .trackBulwark({ bulwarkRegistry: instances })
    .track(registry);
  const payments = new CircuitBreaker({ name: 'payments', failureThreshold: 100, registry: instances });

  const count = 10 * id;
  for (let i = 0; i < count; i++) {
    await payments.execute(async () => `payment ${i}`);
    orders.inc();
  }
  const failures = id % 2;
  for (let i = 0; i < failures; i++) {
    await payments.execute(() => Promise.reject(new Error('card declined'))).catch(() => undefined);
  }
  await sink.flush();

  const metrics = metricsHandler(() => collectFromRedis({ redis, prefix }));
  const health = healthHandler(instances, { critical: ['payments'] });
  const server = createServer((request, response) => {
    const reply = request.url === '/metrics' ? metrics() : Promise.resolve(health());
    void reply.then((answer) => response.writeHead(answer.status, answer.headers).end(answer.body));
  });
  server.listen(0, () => {
    const report: WorkerReport = { port: (server.address() as AddressInfo).port, orders: count, failures };
    process.send?.(report);
  });
  // cluster.disconnect() closes the server; the worker then flushes its last numbers and ends.
  cluster.worker?.on('disconnect', () => {
    sink
      .dispose()
      .catch((error: unknown) => console.error('worker: the last flush failed:', error))
      .finally(() => redis.disconnect());
  });
}

/** Waits for every worker's report. */
function reports(workers: readonly Worker[]): Promise<WorkerReport[]> {
  return Promise.all(workers.map((worker) => new Promise<WorkerReport>((resolve) => worker.once('message', resolve))));
}

/** Deletes every key under `{prefix}` (the sink's hash tag) and returns how many remain. */
async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  const pattern = `{${prefix}}*`;
  for await (const keys of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) await redis.del(...keys);
  }
  let left = 0;
  for await (const keys of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) left += keys.length;
  return left;
}

export async function main(url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'): Promise<MetricsResult> {
  const prefix = `bulwark-example-metrics-${randomBytes(4).toString('hex')}`;
  cluster.setupPrimary({
    exec: fileURLToPath(import.meta.url),
    execArgv: ['--import', 'tsx'],
  });
  const workers = Array.from({ length: WORKERS }, () => cluster.fork({ REDIS_URL: url, METRICS_PREFIX: prefix }));
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const done = await reports(workers);
    const base = `http://127.0.0.1:${(done[0] as WorkerReport).port}`;
    const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const healthResponse = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) });
    const calls = (outcome: string): number | undefined =>
      sample(text, `bulwark_calls_total{pattern="circuitBreaker",name="payments",outcome="${outcome}"}`);
    const result = {
      ordersDone: done.reduce((sum, report) => sum + report.orders, 0),
      failuresDone: done.reduce((sum, report) => sum + report.failures, 0),
      ordersServed: sample(text, 'orders_total'),
      paymentCallsServed: { success: calls('success'), failure: calls('failure') },
      closedBreakers: sample(text, 'bulwark_circuit_breaker_state{name="payments",state="closed"}'),
      health: { httpStatus: healthResponse.status, status: ((await healthResponse.json()) as { status: string }).status },
    };
    // Each worker writes its last flush after the disconnect, then exits: wait for the exits, so
    // that no write lands after the keys are deleted.
    const exited = workers.map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))));
    cluster.disconnect();
    await Promise.all(exited);
    return { ...result, keysLeft: await deleteKeys(redis, prefix) };
  } finally {
    for (const worker of workers) if (!worker.isDead()) worker.kill();
    await redis.quit();
  }
}

if (cluster.isWorker) {
  await runWorker(process.env['REDIS_URL'] as string, process.env['METRICS_PREFIX'] as string);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await main());
}
