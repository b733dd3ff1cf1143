/**
 * `metricsHandler`: a Prometheus text exposition as an HTTP endpoint (`/metrics`).
 * @module
 */
import type { EndpointReply } from './endpoint-reply';
import { reportError } from './report';

/**
 * Where {@link metricsHandler} reads the exposition: a prom-client `Registry` (with
 * `registerMetrics` from `bulwark/prometheus` on it), or any object of the same shape.
 */
export interface MetricsSource {
  /** The text exposition. */
  metrics(): Promise<string> | string;
  /** Its media type, e.g. `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
}

/** The media type of the Prometheus text exposition format 0.0.4, which `collectFromRedis` and `collectFromSqlite` write. */
export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * An endpoint that answers with `source`'s text exposition (200), or 500 with a plain-text line
 * when reading it failed (a metric's collect threw, Redis failed): the error is logged (a process
 * warning without a logger, code `BULWARK_MIDDLEWARE_ERROR`), never sent. Loads no prom-client
 * code.
 * @param source - a prom-client registry, or a function that returns the text exposition (served
 *   as {@link PROMETHEUS_TEXT_CONTENT_TYPE}), such as `collectFromRedis` of every process's metrics
 * @example
 * ```ts
 * const registry = new Registry();
 * registerMetrics({ registry });
 * const metrics = metricsHandler(registry);
 * app.get('/metrics', async (c) => {
 *   const reply = await metrics();
 *   return new Response(reply.body, reply);
 * });
 * // Every process's metrics, added up in Redis by RedisMetricsSinks:
 * const combined = metricsHandler(() => collectFromRedis({ redis, prefix: 'myapp:metrics' }));
 * ```
 */
export function metricsHandler(source: MetricsSource | (() => Promise<string> | string)): () => Promise<EndpointReply> {
  const read = typeof source === 'function' ? source : () => source.metrics();
  return async function metrics(): Promise<EndpointReply> {
    try {
      const body = await read();
      const contentType = typeof source === 'function' ? PROMETHEUS_TEXT_CONTENT_TYPE : source.contentType;
      return { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-store' }, body };
    } catch (error) {
      reportError(error, 'reading the metrics failed');
      return { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'metrics collection failed\n' };
    }
  };
}
