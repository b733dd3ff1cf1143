import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry as PromRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitBreaker, ConfigError, LoadShedder, Registry, Retry } from '../../src/index';
import { healthHandler, metricsHandler, type EndpointReply, type HealthResponseBody } from '../../src/middleware/index';
import { registerMetrics } from '../../src/observability/prometheus';
import { parseExposition, sampleValue } from '../observability/exposition';

let server: Server | undefined;
afterEach(async () => {
  server?.close();
  if (server !== undefined) await once(server, 'close');
  server = undefined;
});

/** Serves `endpoint` on every path of a real node:http server; returns its base URL. */
async function serve(endpoint: () => EndpointReply | Promise<EndpointReply>): Promise<string> {
  server = createServer((_req, res) => {
    void Promise.resolve(endpoint()).then((reply) => res.writeHead(reply.status, reply.headers).end(reply.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

const tripped = async (breaker: CircuitBreaker): Promise<void> => {
  await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
};

describe('healthHandler', () => {
  it('answers 200 with every instance while the critical ones are healthy, 503 when one is not', async () => {
    const registry = new Registry();
    const payments = new CircuitBreaker({ name: 'payments', failureThreshold: 1, registry });
    const recommendations = new CircuitBreaker({ name: 'recommendations', failureThreshold: 1, registry });
    new Retry({ name: 'retry', registry });
    const url = await serve(healthHandler(registry, { critical: ['payments'] }));

    await tripped(recommendations);
    const degraded = await fetch(url);
    expect(degraded.status).toBe(200);
    expect(degraded.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await degraded.json()) as HealthResponseBody;
    expect(body.status).toBe('degraded');
    expect(body.failing).toEqual([]);
    expect(Object.keys(body.instances).sort()).toEqual(['payments', 'recommendations', 'retry']);
    expect(body.instances['recommendations']).toMatchObject({ patternType: 'circuitBreaker', state: 'open', healthy: false });

    await tripped(payments);
    const down = await fetch(url);
    expect(down.status).toBe(503);
    expect(((await down.json()) as HealthResponseBody).failing).toEqual(['payments']);

    payments.reset();
    expect((await fetch(url)).status).toBe(200);
  });

  it('takes a predicate, e.g. every load shedder is critical', async () => {
    const registry = new Registry();
    const shedder = new LoadShedder({ name: 'api', maxInFlight: 1, maxQueue: 0, registry });
    const breaker = new CircuitBreaker({ name: 'optional', failureThreshold: 1, registry });
    await tripped(breaker);
    const health = healthHandler(registry, { critical: (_name, h) => h.patternType === 'loadShedder' });
    expect(health().status).toBe(200);
    let release!: () => void;
    const held = shedder.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const reply = health();
    release();
    await held;
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toMatchObject({ failing: ['api'], instances: { api: { state: 'critical' } } });
  });

  it('answers 200 when nothing is marked critical, and for a critical name not registered', async () => {
    const registry = new Registry();
    const breaker = new CircuitBreaker({ name: 'open-one', failureThreshold: 1, registry });
    await tripped(breaker);
    expect(healthHandler(registry)().status).toBe(200);
    expect(healthHandler(registry, { critical: ['not-created-yet'] })().status).toBe(200);
  });

  it('rejects a registry that is not one and bad options, naming them', () => {
    expect(() => healthHandler({} as never)).toThrow(/registry: expected a bulwark Registry/);
    expect(() => healthHandler(new Registry(), { critical: 'payments' as never })).toThrow(ConfigError);
    expect(() => healthHandler(new Registry(), { critcal: [] } as never)).toThrow(/critcal: unknown option/);
  });
});

describe('metricsHandler', () => {
  it("serves a prom-client registry's exposition with its content type", async () => {
    const registry = new PromRegistry();
    const instances = new Registry();
    const exported = registerMetrics({ registry, bulwarkRegistry: instances });
    await new CircuitBreaker({ name: 'served', registry: instances }).execute(async () => 1);
    const response = await fetch(await serve(metricsHandler(registry)));
    exported.dispose();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    const families = parseExposition(await response.text());
    expect(sampleValue(families, 'bulwark_calls_total', { pattern: 'circuitBreaker', name: 'served', outcome: 'success' })).toBe(1);
  });

  it('answers 500 without the error when reading the metrics fails, and reports it', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    const reply = await metricsHandler({ contentType: 'text/plain', metrics: () => Promise.reject(new Error('secret detail')) })();
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(reply.status).toBe(500);
    expect(reply.body).not.toContain('secret');
    expect(warnings.map((w) => w.message).join()).toContain('secret detail');
  });
});
