import { describe, expect, it, vi } from 'vitest';
import { Bulkhead } from '../../src/index';
import { createGuard } from '../../src/middleware/index';
import { createServer } from 'node:http';
import express from 'express';
import { guardMiddleware } from '../../src/middleware/node';
import { adapterContract } from './adapter-contract';
import { listen } from './support';

adapterContract('node:http', async (guard, routes) => {
  const guarded = guardMiddleware(guard);
  const server = createServer((req, res) =>
    guarded(req, res, async () => {
      const { status, body } = await routes.handle(new URL(req.url ?? '/', 'http://x').pathname);
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body);
    }),
  );
  return listen(server);
});

adapterContract('Express 5', async (guard, routes) => {
  const app = express();
  app.use(guardMiddleware(guard));
  app.use(async (req, res) => {
    const { status, body } = await routes.handle(req.path);
    res.status(status).type('text').send(body);
  });
  return listen(createServer(app));
});

describe('node:http adapter', () => {
  it('answers a throwing handler with a 500 that says nothing of the error', async () => {
    const guard = createGuard({ bulkhead: new Bulkhead({ maxInFlight: 1, registry: false }) });
    const guarded = guardMiddleware(guard);
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    const served = await listen(
      createServer((req, res) =>
        guarded(req, res, () => {
          throw new Error('secret internals');
        }),
      ),
    );
    try {
      const response = await fetch(`${served.url}/`);
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const body = await response.text();
      expect(body).not.toContain('secret');
      expect(JSON.parse(body)).toMatchObject({ status: 500, code: 'INTERNAL' });
      await vi.waitFor(() => expect(warnings.some((message) => message.includes('secret internals'))).toBe(true));
    } finally {
      process.off('warning', onWarning);
      await served.close();
    }
  });
});
