/**
 * What every adapter suite shares: the test routes (one behaviour per path, written once and
 * mounted by each framework), and the server lifecycle.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { deferred } from '../support/async';

/** What a route answers. */
export interface RouteResult {
  status: number;
  body: string;
}

/**
 * The routes of the test app, by path: `/ok` 200, `/fail` 500, `/bad` 400, `/throw` throws,
 * `/healthz` 200, `/slow` waits for {@link TestRoutes.release}, `/busy` yields a few turns.
 * Counts handlers running at once.
 */
export class TestRoutes {
  active = 0;
  maxActive = 0;
  started = 0;
  #gate = deferred<void>();
  #startedWaiters: Array<() => void> = [];

  /** The handler of every route. */
  readonly handle = async (path: string): Promise<RouteResult> => {
    this.active++;
    this.started++;
    this.maxActive = Math.max(this.maxActive, this.active);
    for (const wake of this.#startedWaiters.splice(0)) wake();
    try {
      switch (path) {
        case '/fail':
          return { status: 500, body: 'downstream failed' };
        case '/bad':
          return { status: 400, body: 'bad request' };
        case '/throw':
          throw new Error('handler exploded: secret internals');
        case '/slow':
          await this.#gate.promise;
          return { status: 200, body: 'slow' };
        case '/busy':
          for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
          return { status: 200, body: 'busy' };
        default:
          return { status: 200, body: 'ok' };
      }
    } finally {
      this.active--;
    }
  };

  /** Resolves once `count` handlers have started in all. */
  startedAtLeast(count: number): Promise<void> {
    if (this.started >= count) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.started >= count) resolve();
        else this.#startedWaiters.push(check);
      };
      this.#startedWaiters.push(check);
    });
  }

  /** Lets every `/slow` handler finish. */
  release(): void {
    this.#gate.resolve();
  }
}

/** A listening server's base URL and how to stop it. */
export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Listens on an ephemeral port of 127.0.0.1. */
export async function listen(server: Server): Promise<Served> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
