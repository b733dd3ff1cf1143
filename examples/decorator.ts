/**
 * `@resilient(...)`: a method decorator for standard (TC39) decorators and for TypeScript's
 * `experimentalDecorators`, so this file compiles unchanged in a NestJS or TypeORM project; it
 * tells the two forms apart when the class is defined.
 *
 * - `@resilient(policyA, policyB)` composes the policies once (first = outermost) and shares them
 *   between every instance of the class.
 * - `@resilient((instance) => policy)` makes one policy per instance, on its first call.
 *
 * A decorated method does not receive an ExecutionContext: the Timeout aborts a signal the method
 * cannot see, and the caller's signal reaches the method only as an ordinary parameter. So the
 * method takes `signal` itself, and the Retry handles only the errors worth retrying.
 *
 * Run it: `npx tsx examples/decorator.ts`
 */
import { pathToFileURL } from 'node:url';
import { OperationTimeoutError, Retry, Timeout, compose, isBulwarkError, resilient, type RetryStats } from 'bulwark';

/** What the stock service throws when it is briefly unavailable. */
export class StockServiceError extends Error {
  override name = 'StockServiceError';
}

/** Waits `ms`, or rejects with `signal.reason` as soon as it aborts. */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One Retry and one Timeout for every instance of {@link InventoryClient.stockLevel}. */
const sharedRetry = new Retry({
  name: 'inventory-retry',
  maxAttempts: 3,
  initialDelayMs: 5,
  exceptions: { handle: [StockServiceError, OperationTimeoutError] },
});
const sharedTimeout = new Timeout({ name: 'inventory-timeout', timeoutMs: 30 });

/** How the fake service behaves for each request. */
export type Behaviour = 'ok' | 'fail' | 'slow';

export class InventoryClient {
  /** Requests made so far. */
  requests = 0;
  /** Requests still running, including ones a Timeout gave up on. */
  inFlight = 0;
  readonly #script: Behaviour[];
  readonly #settled = new Set<Promise<void>>();

  /** The Retry made for this instance by the factory form below; undefined until its first call. */
  ownRetry: Retry | undefined;

  /** @param script - behaviour of each request in turn; the last one repeats */
  constructor(script: Behaviour[]) {
    this.#script = script;
  }

  /** Stock of `sku`, through the shared Retry and Timeout. */
  @resilient(sharedRetry, sharedTimeout)
  async stockLevel(sku: string, signal?: AbortSignal): Promise<number> {
    return this.#request(sku, signal);
  }

  /** The same, with policies made for this instance on its first call. */
  @resilient((client: InventoryClient) => {
    client.ownRetry = new Retry({ maxAttempts: 2, initialDelayMs: 5, exceptions: { handle: [StockServiceError] } });
    return compose(client.ownRetry, new Timeout({ timeoutMs: 30 }));
  })
  async reservedStock(sku: string, signal?: AbortSignal): Promise<number> {
    return this.#request(sku, signal);
  }

  /** Resolves once every request, even abandoned ones, has finished. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#settled]);
  }

  async #request(sku: string, signal: AbortSignal | undefined): Promise<number> {
    const behaviour = this.#script[Math.min(this.requests, this.#script.length - 1)] ?? 'ok';
    this.requests++;
    this.inFlight++;
    const done = delay(behaviour === 'slow' ? 60 : 2, signal);
    const tracked = done.then(
      () => undefined,
      () => undefined,
    );
    this.#settled.add(tracked);
    try {
      await done;
    } finally {
      this.inFlight--;
      this.#settled.delete(tracked);
    }
    if (behaviour === 'fail') throw new StockServiceError(`stock service unavailable for ${sku}`);
    return sku.length * 7;
  }
}

/** What a caller saw from one rejected call. */
export interface CallerView {
  readonly name: string;
  readonly code: string | undefined;
  readonly message: string;
  readonly requests: number;
}

export interface DecoratorResult {
  /** Two failures, then a value. */
  readonly stock: number;
  readonly requestsForStock: number;
  /** Every try too slow: the caller receives the Timeout's error after 3 tries. */
  readonly timedOut: CallerView & { readonly stillRunningWhenRejected: number };
  /** The caller aborts during the first try: its own reason, no retry. */
  readonly aborted: CallerView;
  /** The factory form: 2 tries of this instance's own Retry. */
  readonly perInstance: CallerView & { readonly ownRetryStats: RetryStats | undefined };
}

function callerView(error: unknown, client: InventoryClient): CallerView {
  const err = error as Error;
  return {
    name: err.name,
    code: isBulwarkError(error) ? error.code : undefined,
    message: err.message,
    requests: client.requests,
  };
}

const expectRejection = (): never => {
  throw new Error('expected a rejection');
};

export async function main(): Promise<DecoratorResult> {
  const flaky = new InventoryClient(['fail', 'fail', 'ok']);
  const stock = await flaky.stockLevel('sku-42', new AbortController().signal);

  // The Timeout rejects each slow try at 30 ms; the method ignores that (it cannot see the
  // Timeout's signal), so abandoned requests go on running until they end by themselves.
  const slow = new InventoryClient(['slow']);
  const timedOut = await slow.stockLevel('sku-42', new AbortController().signal).then(expectRejection, (error: unknown) => ({
    ...callerView(error, slow),
    stillRunningWhenRejected: slow.inFlight,
  }));
  await slow.idle();

  // The caller aborts 10 ms into a slow request.
  const hangingUp = new InventoryClient(['slow']);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('client disconnected')), 10);
  const aborted = await hangingUp
    .stockLevel('sku-42', controller.signal)
    .then(expectRejection, (error: unknown) => callerView(error, hangingUp))
    .finally(() => clearTimeout(timer));

  const failing = new InventoryClient(['fail']);
  const perInstance = await failing.reservedStock('sku-42', new AbortController().signal).then(expectRejection, (error: unknown) => ({
    ...callerView(error, failing),
    ownRetryStats: failing.ownRetry?.stats(),
  }));

  return { stock, requestsForStock: flaky.requests, timedOut, aborted, perInstance };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
