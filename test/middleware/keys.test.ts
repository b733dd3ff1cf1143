import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, RateLimiter, type RateLimitRule, type RateLimitStore } from '../../src/index';
import { createGuard, keyByHeader, keyByRoute, type GuardOptions } from '../../src/middleware/index';
import { guardMiddleware } from '../../src/middleware/node';
import { listen, type Served } from './support';

/** A MemoryStore that records the keys it is asked about. */
class RecordingStore implements RateLimitStore {
  readonly keys: string[] = [];
  readonly #memory = new MemoryStore();
  consume(key: string, cost: number, rule: RateLimitRule) {
    this.keys.push(key);
    return this.#memory.consume(key, cost, rule);
  }
}

const servers: Served[] = [];
afterEach(async () => {
  for (const served of servers.splice(0)) await served.close();
});

async function serve(options: Omit<GuardOptions, 'rateLimiter'>, limit = 100): Promise<{ url: string; store: RecordingStore }> {
  const store = new RecordingStore();
  const rateLimiter = new RateLimiter({ limit, windowMs: 60_000, store, registry: false });
  const guarded = guardMiddleware(createGuard({ ...options, rateLimiter }));
  const served = await listen(createServer((req, res) => guarded(req, res, () => res.end('ok'))));
  servers.push(served);
  return { url: served.url, store };
}

describe('rate-limit keys over real HTTP', () => {
  it('keys a request with a forged X-Forwarded-For from an untrusted peer by its socket address', async () => {
    const { url, store } = await serve({}, 2);
    for (const forged of ['1.1.1.1', '2.2.2.2', '3.3.3.3']) {
      await fetch(`${url}/`, { headers: { 'X-Forwarded-For': forged } });
    }
    expect(new Set(store.keys)).toEqual(new Set(['127.0.0.1']));
    expect((await fetch(`${url}/`, { headers: { 'X-Forwarded-For': '4.4.4.4' } })).status).toBe(429);
  });

  it('with trustProxy: 1 keys by the right-most hop, whatever the client put left of it', async () => {
    const { url, store } = await serve({ trustProxy: 1 });
    await fetch(`${url}/`, { headers: { 'X-Forwarded-For': '6.6.6.6, 198.51.100.7' } });
    await fetch(`${url}/`, { headers: { 'X-Forwarded-For': '7.7.7.7, 198.51.100.7' } });
    expect(store.keys).toEqual(['198.51.100.7', '198.51.100.7']);
  });

  it('hashes a 10 kB header used as key before it reaches the store', async () => {
    const { url, store } = await serve({ key: keyByHeader('X-Api-Key') });
    const huge = 'k'.repeat(10_000);
    await fetch(`${url}/`, { headers: { 'X-Api-Key': huge } });
    await fetch(`${url}/`);
    expect(store.keys[0]).toMatch(/^x-api-key:sha256:[\w-]{43}$/);
    expect(store.keys[1]).toBe('127.0.0.1');
  });

  it('hashes any key longer than 128 characters, whatever function made it', async () => {
    const { url, store } = await serve({ key: keyByRoute() });
    await fetch(`${url}/${'p'.repeat(300)}`);
    await fetch(`${url}/short`);
    expect(store.keys[0]).toMatch(/^sha256:[\w-]{43}$/);
    expect(store.keys[1]).toBe('GET /short|127.0.0.1');
  });

  it('warns once when requests come through an untrusted private proxy (every client would share its limit), checking one request in 16', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    const ours = (): Error[] => warnings.filter((warning) => (warning as Error & { code?: string }).code === 'BULWARK_PROXY_NOT_TRUSTED');
    try {
      const { url } = await serve({});
      // The 1st request is checked (it has no forwarding header), the next 15 are not.
      await fetch(`${url}/`);
      for (let i = 0; i < 15; i++) await fetch(`${url}/`, { headers: { 'X-Forwarded-For': `198.51.100.${i}` } });
      await new Promise((resolve) => setImmediate(resolve));
      expect(ours()).toEqual([]);
      // The 17th is checked, and warns; the 33rd is checked too, and warns no more.
      for (let i = 0; i < 17; i++) await fetch(`${url}/`, { headers: { 'X-Forwarded-For': `198.51.100.${i}` } });
      await new Promise((resolve) => setImmediate(resolve));
      expect(ours()).toHaveLength(1);
      expect(ours()[0]?.message).toContain('trustProxy');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('does not warn when trustProxy is set', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const { url } = await serve({ trustProxy: ['loopback'] });
      await fetch(`${url}/`, { headers: { 'X-Forwarded-For': '198.51.100.1' } });
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => (warning as Error & { code?: string }).code === 'BULWARK_PROXY_NOT_TRUSTED')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
