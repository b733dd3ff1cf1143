import { describe, expect, it } from 'vitest';
import { Bulkhead, RateLimiter, RateLimitError, type RateLimitResult, type RateLimitStore } from '../../src/index';
import { createGuard, type Guard, type GuardExchange, type ResponseEnd } from '../../src/middleware/index';
import { flushPromises } from '../support/async';

/** An adapter's exchange that records what the guard asks of it; the test ends the response. */
class RecordingExchange implements GuardExchange {
  end: ResponseEnd | undefined;
  handled = 0;
  readonly headers = new Map<string, string>();
  readonly replies: number[] = [];
  readonly #handler: () => void;

  constructor(handler: () => void = () => {}) {
    this.#handler = handler;
  }

  watch(end: ResponseEnd): void {
    this.end = end;
  }

  setHeader(name: string, value: string): void {
    this.headers.set(name, value);
  }

  proceed(): void {
    this.handled++;
    this.#handler();
  }

  reply(status: number): void {
    this.replies.push(status);
  }
}

/** An exchange whose client has gone by the time the guard watches its response. */
class GoneExchange extends RecordingExchange {
  override watch(end: ResponseEnd): void {
    super.watch(end);
    end.disconnected();
  }
}

/** One request from 127.0.0.1 through `guard`. */
function send(guard: Guard, exchange: RecordingExchange): void | Promise<void> {
  return guard.handle(guard.request('GET', '/', {}, '127.0.0.1', undefined), exchange);
}

/**
 * Checks that the slot of `exchange`'s request is free at once, and stays free when its response
 * ends every other way too (a slot freed twice would show as -1).
 */
async function expectFreedOnce(exchange: RecordingExchange, bulkhead: Bulkhead): Promise<void> {
  expect(bulkhead.inFlight).toBe(0);
  exchange.end?.finished(200);
  exchange.end?.disconnected();
  exchange.end?.failed(new Error('late'));
  await flushPromises();
  expect(bulkhead.inFlight).toBe(0);
}

/** A guard with a MemoryStore rate limiter and a bulkhead, the two policies that admit a request at once. */
function guarded(maxQueue = 0): { guard: Guard; bulkhead: Bulkhead } {
  const bulkhead = new Bulkhead({ maxInFlight: 1, maxQueue, registry: false });
  const rateLimiter = new RateLimiter({ limit: 100, windowMs: 60_000, registry: false });
  return { guard: createGuard({ rateLimiter, bulkhead }), bulkhead };
}

describe('guard permits (a MemoryStore rate limiter and a free bulkhead slot)', () => {
  it('frees the slot as soon as the response has finished, and only once', async () => {
    const { guard, bulkhead } = guarded();
    const exchange = new RecordingExchange();
    expect(send(guard, exchange)).toBeUndefined();
    expect(exchange.handled).toBe(1);
    expect(exchange.headers.get('RateLimit')).toMatch(/;r=99;t=60$/);
    expect(bulkhead.inFlight).toBe(1);
    exchange.end?.finished(200);
    await expectFreedOnce(exchange, bulkhead);
    const next = new RecordingExchange();
    send(guard, next);
    expect(next.handled).toBe(1);
    expect(bulkhead.inFlight).toBe(1);
  });

  it('frees the slot when the client disconnects first, and not again when the response ends', async () => {
    const { guard, bulkhead } = guarded();
    const exchange = new RecordingExchange();
    send(guard, exchange);
    exchange.end?.disconnected();
    await expectFreedOnce(exchange, bulkhead);
  });

  it('frees the slot of a handler that throws', async () => {
    const { guard, bulkhead } = guarded();
    const exchange = new RecordingExchange(() => {
      throw new Error('handler failed');
    });
    await expect(send(guard, exchange)).rejects.toThrow('handler failed');
    await flushPromises();
    await expectFreedOnce(exchange, bulkhead);
  });

  it('hands the slot of a finished request to a queued one, which frees it in turn', async () => {
    const { guard, bulkhead } = guarded(1);
    const first = new RecordingExchange();
    send(guard, first);
    const second = new RecordingExchange();
    const queued = send(guard, second);
    expect(bulkhead.queued).toBe(1);
    expect(second.handled).toBe(0);
    first.end?.finished(200);
    await queued;
    expect(second.handled).toBe(1);
    expect(bulkhead.inFlight).toBe(1);
    second.end?.finished(200);
    await flushPromises();
    expect(bulkhead.inFlight).toBe(0);
  });

  it('takes no slot for a request whose client left before it was admitted', async () => {
    const { guard, bulkhead } = guarded();
    const exchange = new GoneExchange();
    await send(guard, exchange);
    expect(exchange.handled).toBe(0);
    expect(bulkhead.inFlight).toBe(0);
  });
});

describe('rate-limit refusals', () => {
  it('hands onRejected the limiter’s own error, naming the bucket that refused by its own rate', async () => {
    const rateLimiter = new RateLimiter({
      name: 'api',
      registry: false,
      limits: [
        { rate: { tokens: 1, perMs: 10_000 }, burst: 1 },
        { rate: { tokens: 1, perMs: 60_000 }, burst: 1 },
      ],
    });
    const errors: unknown[] = [];
    const guard = createGuard({
      rateLimiter,
      onRejected: (error) => {
        errors.push(error);
        return undefined;
      },
    });
    await send(guard, new RecordingExchange());
    const refused = new RecordingExchange();
    await send(guard, refused);
    expect(refused.replies).toEqual([429]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RateLimitError);
    expect((errors[0] as RateLimitError).message).toContain('refilled at 1 per 60000 ms');
  });
  it('names the fallback bucket that refused although the store recovered before the refusal was answered', async () => {
    // A store whose answers the test settles: each call's promise waits in `answers`.
    const answers: { resolve: (result: RateLimitResult) => void; reject: (error: Error) => void }[] = [];
    const store: RateLimitStore = {
      consume: () => new Promise<RateLimitResult>((resolve, reject) => answers.push({ resolve, reject })),
    };
    const rateLimiter = new RateLimiter({ name: 'api', registry: false, store, algorithm: 'token-bucket', rate: { tokens: 10, perMs: 1_000 }, burst: 1, onStoreError: 'fallback', expectedInstances: 4 });
    const errors: unknown[] = [];
    const guard = createGuard({ rateLimiter, key: (request) => request.path, onRejected: (error) => void errors.push(error) });
    const on = (path: string, exchange: RecordingExchange): void | Promise<void> => guard.handle(guard.request('GET', path, {}, '127.0.0.1', undefined), exchange);
    const down = new Error('store down');
    const first = on('/k', new RecordingExchange());
    answers[0]?.reject(down);
    await first; // the outage began; the fallback bucket admitted it and is empty now
    const refused = new RecordingExchange();
    const answered = on('/k', refused);
    const other = on('/other', new RecordingExchange());
    // In one turn: the refusal's store call fails (the fallback bucket refuses), the other's succeeds (the outage ends).
    answers[1]?.reject(down);
    answers[2]?.resolve({ allowed: true, limit: 1, windowIndex: 0, remaining: 0, resetMs: 100, retryAfterMs: 0 });
    await Promise.all([answered, other]);
    expect(refused.replies).toEqual([429]);
    expect((errors[0] as RateLimitError).message).toBe('Rate limiter "api" allows bursts of up to 1, refilled at 10 per 4000 ms: the call was not made');
  });
});
