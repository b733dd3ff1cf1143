/**
 * `healthHandler`: a registry's health report as an HTTP endpoint (`/healthz`, `/readyz`).
 * @module
 */
import { z } from 'zod';
import { parseOptions } from '../core/config';
import { defaultRegistry, Registry, type HealthReport, type InstanceHealth } from '../core/registry';
import type { EndpointReply } from './endpoint-reply';

/** Options of {@link healthHandler}. */
export interface HealthHandlerOptions {
  /**
   * The instances whose trouble makes the endpoint answer 503: their names, or a function of an
   * instance's name and health. An instance not in the registry (not created yet, or collected)
   * fails nothing. @defaultValue none: the endpoint answers 200 whatever the instances' states
   */
  critical?: readonly string[] | ((name: string, health: InstanceHealth) => boolean) | undefined;
}

/** The body {@link healthHandler} sends: the registry's report, plus what made it fail. */
export interface HealthResponseBody extends HealthReport {
  /** The critical instances that are unhealthy (empty when the status is 200). */
  readonly failing: readonly string[];
}

const argumentsSchema = z
  .object({
    registry: z.instanceof(Registry, { message: 'expected a bulwark Registry' }),
    critical: z
      .union([
        z.array(z.string()).readonly(),
        z.custom<(name: string, health: InstanceHealth) => boolean>((value) => typeof value === 'function', {
          message: 'expected an array of instance names or a function',
        }),
      ])
      .optional(),
  })
  .strict();

const HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
});

/**
 * An endpoint that answers with the JSON health report of every live instance in `registry`
 * (state, health, stats: see {@link Registry.health}) and a `failing` list: 200, or 503 when an
 * instance marked `critical` is unhealthy (an open breaker, a load shedder at `high` or
 * `critical`). Instances not marked critical show in the report without changing the status, so
 * that a degraded optional dependency does not take the process out of rotation.
 *
 * The report names instances and their counters: serve it on an internal port or path.
 * @param registry - the instances to report on @defaultValue `defaultRegistry`
 * @throws `ConfigError` (from `bulwark`) when `registry` is not a Registry or an option is invalid
 * @example
 * ```ts
 * const health = healthHandler(defaultRegistry, { critical: ['payments-breaker'] });
 * createServer((req, res) => {
 *   const reply = health();
 *   res.writeHead(reply.status, reply.headers).end(reply.body);
 * });
 * ```
 */
export function healthHandler(registry: Registry = defaultRegistry, options: HealthHandlerOptions = {}): () => EndpointReply {
  const { critical } = parseOptions(argumentsSchema, { ...options, registry }, 'healthHandler arguments');
  const isCritical =
    critical === undefined ? undefined : typeof critical === 'function' ? critical : (name: string) => critical.includes(name);
  return function health(): EndpointReply {
    const report = registry.health();
    const failing: string[] = [];
    if (isCritical !== undefined) {
      for (const [name, instance] of Object.entries(report.instances)) {
        if (!instance.healthy && isCritical(name, instance)) failing.push(name);
      }
    }
    const body: HealthResponseBody = { ...report, failing };
    return { status: failing.length === 0 ? 200 : 503, headers: HEADERS, body: JSON.stringify(body) };
  };
}
