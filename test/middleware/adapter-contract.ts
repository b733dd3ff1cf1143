/**
 * The behaviour every adapter must show over real HTTP: one suite, run by each adapter's file
 * with its own server.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AdaptiveConcurrencyLimiter, Bulkhead, CircuitBreaker, CircuitState, LoadShedder, RateLimiter } from '../../src/index';
import { createGuard, type Guard, type GuardOptions } from '../../src/middleware/index';
import { TestRoutes, type Served } from './support';

/** Starts the adapter's server with `guard` in front of `routes`. */
export type Serve = (guard: Guard, routes: TestRoutes) => Promise<Served>;

const servers: Served[] = [];

export function adapterContract(name: string, serve: Serve): void {
  describe(`${name} adapter over real HTTP`, () => {
    afterEach(async () => {
      for (const served of servers.splice(0)) await served.close();
    });

    async function start(options: GuardOptions): Promise<{ url: string; routes: TestRoutes }> {
      const routes = new TestRoutes();
      const served = await serve(createGuard(options), routes);
      servers.push(served);
      return { url: served.url, routes };
    }

    it('answers 429 with Retry-After and RateLimit fields after `limit` requests, and the fields on allowed ones too', async () => {
      const rateLimiter = new RateLimiter({ name: 'api', limit: 3, windowMs: 60_000, registry: false });
      const { url } = await start({ rateLimiter });
      for (let i = 0; i < 3; i++) {
        const ok = await fetch(`${url}/ok`);
        expect(ok.status).toBe(200);
        expect(await ok.text()).toBe('ok');
        expect(ok.headers.get('ratelimit-policy')).toBe('"api";q=3;w=60');
        expect(ok.headers.get('ratelimit')).toMatch(new RegExp(`^"api";r=${2 - i};t=(59|60)$`));
      }
      const refused = await fetch(`${url}/ok`);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^(59|60)$/);
      expect(refused.headers.get('ratelimit')).toMatch(/^"api";r=0;t=(59|60)$/);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await refused.json()).toEqual({
        type: 'urn:bulwark:error:rate-limited',
        title: 'Too Many Requests',
        status: 429,
        detail: expect.any(String),
        code: 'RATE_LIMITED',
      });
    });

    it('writes the legacy X-RateLimit fields when asked', async () => {
      const rateLimiter = new RateLimiter({ limit: 2, windowMs: 10_000, registry: false });
      const { url } = await start({ rateLimiter, headers: 'legacy' });
      const response = await fetch(`${url}/ok`);
      expect(response.headers.get('x-ratelimit-limit')).toBe('2');
      expect(response.headers.get('x-ratelimit-remaining')).toBe('1');
      expect(Number(response.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      expect(response.headers.get('ratelimit')).toBeNull();
    });

    it('answers 503 when the load shedder sheds', async () => {
      const loadShedder = new LoadShedder({ maxInFlight: 1, maxQueue: 0, retryAfterMs: 2_500, registry: false });
      const { url, routes } = await start({ loadShedder });
      const slow = fetch(`${url}/slow`);
      await routes.startedAtLeast(1);
      const shed = await fetch(`${url}/ok`);
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('3');
      expect(await problemCode(shed)).toBe('LOAD_SHED');
      routes.release();
      expect((await slow).status).toBe(200);
    });

    it('answers 503 when the bulkhead is full, and frees the slot when the response ends', async () => {
      const bulkhead = new Bulkhead({ maxInFlight: 1, registry: false });
      const { url, routes } = await start({ bulkhead });
      const slow = fetch(`${url}/slow`);
      await routes.startedAtLeast(1);
      const full = await fetch(`${url}/ok`);
      expect(full.status).toBe(503);
      expect(await problemCode(full)).toBe('BULKHEAD_REJECTED');
      routes.release();
      await (await slow).text();
      await vi.waitFor(() => expect(bulkhead.inFlight).toBe(0));
      expect((await fetch(`${url}/ok`)).status).toBe(200);
    });

    it('answers 503 at the concurrency limit', async () => {
      const concurrencyLimiter = new AdaptiveConcurrencyLimiter({ initialLimit: 1, minLimit: 1, maxLimit: 1, registry: false });
      const { url, routes } = await start({ concurrencyLimiter });
      const slow = fetch(`${url}/slow`);
      await routes.startedAtLeast(1);
      const refused = await fetch(`${url}/ok`);
      expect(refused.status).toBe(503);
      expect(await problemCode(refused)).toBe('CONCURRENCY_LIMIT');
      routes.release();
      await (await slow).text();
    });

    it('opens the breaker on 5xx responses and answers 503 with Retry-After; 4xx responses do not open it', async () => {
      const circuitBreaker = new CircuitBreaker({ failureThreshold: 2, recoveryTimeoutMs: 30_000, registry: false });
      const { url } = await start({ circuitBreaker });
      for (let i = 0; i < 3; i++) expect((await fetch(`${url}/bad`)).status).toBe(400);
      expect(circuitBreaker.state).toBe(CircuitState.Closed);
      for (let i = 0; i < 2; i++) expect((await fetch(`${url}/fail`)).status).toBe(500);
      await vi.waitFor(() => expect(circuitBreaker.state).toBe(CircuitState.Open));
      const open = await fetch(`${url}/ok`);
      expect(open.status).toBe(503);
      expect(open.headers.get('retry-after')).toMatch(/^(29|30)$/);
      expect(await problemCode(open)).toBe('CIRCUIT_OPEN');
    });

    it('counts a thrown handler error as a failure and frees its permit', async () => {
      const bulkhead = new Bulkhead({ maxInFlight: 1, registry: false });
      const circuitBreaker = new CircuitBreaker({ failureThreshold: 1, registry: false });
      const { url } = await start({ bulkhead, circuitBreaker });
      const response = await fetch(`${url}/throw`);
      expect(response.status).toBe(500);
      await vi.waitFor(() => expect(bulkhead.inFlight).toBe(0));
      expect(circuitBreaker.state).toBe(CircuitState.Open);
    });

    it('counts a request whose client disconnects mid-request neither as a failure nor as a success', async () => {
      const circuitBreaker = new CircuitBreaker({ failureThreshold: 1, registry: false });
      const { url, routes } = await start({ circuitBreaker });
      const controller = new AbortController();
      const request = fetch(`${url}/slow`, { signal: controller.signal }).catch((error: unknown) => error);
      await routes.startedAtLeast(1);
      controller.abort();
      await request;
      await vi.waitFor(() => expect(circuitBreaker.stats().totals.ignored).toBe(1));
      expect(circuitBreaker.stats().totals).toMatchObject({ calls: 0, failures: 0, successes: 0 });
      expect(circuitBreaker.state).toBe(CircuitState.Closed);
      routes.release();
    });

    it('lets excluded paths bypass every policy', async () => {
      const rateLimiter = new RateLimiter({ limit: 1, windowMs: 60_000, registry: false });
      const { url } = await start({ rateLimiter, exclude: ['/healthz'] });
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${url}/healthz`);
        expect(response.status).toBe(200);
        expect(response.headers.get('ratelimit')).toBeNull();
      }
      expect((await fetch(`${url}/ok`)).status).toBe(200);
      expect((await fetch(`${url}/ok`)).status).toBe(429);
    });

    it('sends what onRejected returns instead of problem details', async () => {
      const rateLimiter = new RateLimiter({ limit: 1, windowMs: 60_000, registry: false });
      const { url } = await start({
        rateLimiter,
        onRejected: (error, request) => ({ status: 418, headers: { 'X-Why': error.reason }, body: { path: request.path } }),
      });
      await fetch(`${url}/ok`);
      const response = await fetch(`${url}/ok?x=1`);
      expect(response.status).toBe(418);
      expect(response.headers.get('x-why')).toBe('limitReached');
      expect(response.headers.get('retry-after')).toMatch(/^(59|60)$/);
      expect(await response.json()).toEqual({ path: '/ok' });
    });

    it('never runs more than maxInFlight handlers at once for 500 concurrent requests', async () => {
      const bulkhead = new Bulkhead({ maxInFlight: 10, maxQueue: 500, registry: false });
      const { url, routes } = await start({ bulkhead });
      const statuses = await Promise.all(
        Array.from({ length: 500 }, () => fetch(`${url}/busy`).then(async (response) => (await response.text(), response.status))),
      );
      expect(statuses.every((status) => status === 200)).toBe(true);
      expect(routes.started).toBe(500);
      expect(routes.maxActive).toBeLessThanOrEqual(10);
      await vi.waitFor(() => expect(bulkhead.inFlight).toBe(0));
    });

    it('frees the permits of clients that disconnect mid-request', async () => {
      const bulkhead = new Bulkhead({ maxInFlight: 5, registry: false });
      const { url, routes } = await start({ bulkhead });
      const controllers = Array.from({ length: 5 }, () => new AbortController());
      const requests = controllers.map((controller) => fetch(`${url}/slow`, { signal: controller.signal }).catch((error: unknown) => error));
      await routes.startedAtLeast(5);
      expect(bulkhead.inFlight).toBe(5);
      for (const controller of controllers) controller.abort();
      await Promise.all(requests);
      await vi.waitFor(() => expect(bulkhead.inFlight).toBe(0));
      routes.release();
    });

    it('takes a client that disconnects while queued out of the queue, and never runs its handler', async () => {
      const bulkhead = new Bulkhead({ maxInFlight: 1, maxQueue: 5, registry: false });
      const { url, routes } = await start({ bulkhead });
      const first = fetch(`${url}/slow`);
      await routes.startedAtLeast(1);
      const controller = new AbortController();
      const queued = fetch(`${url}/ok`, { signal: controller.signal }).catch((error: unknown) => error);
      await vi.waitFor(() => expect(bulkhead.queued).toBe(1));
      controller.abort();
      await queued;
      await vi.waitFor(() => expect(bulkhead.queued).toBe(0));
      expect(bulkhead.inFlight).toBe(1);
      routes.release();
      expect((await first).status).toBe(200);
      await vi.waitFor(() => expect(bulkhead.inFlight).toBe(0));
      expect(routes.started).toBe(1);
    });
  });
}

async function problemCode(response: Response): Promise<string> {
  return ((await response.json()) as { code: string }).code;
}
