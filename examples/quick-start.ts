/**
 * The README's quick start, runnable: one pipeline used three ways (execute, wrap, @resilient)
 * and a bus subscription that logs every event. The README shows the import and the part between
 * the two marker comments, word for word (test/docs/quick-start.test.ts checks it).
 *
 * Run it: `npx tsx examples/quick-start.ts`
 */
import { pathToFileURL } from 'node:url';
import { Fallback, Retry, Timeout, bus, compose, resilient, wrap, type BulwarkEvent, type BulwarkEventMap } from 'bulwark';

export interface QuickStartResult {
  readonly price: number;
  readonly wrapped: number;
  readonly decorated: number;
  /** Requests the API received: one more than the calls, for the failed first one. */
  readonly requests: number;
}

export async function main(): Promise<QuickStartResult> {
  // ---- README quick start: begin ----
  // Your own async call; here a stand-in price API whose first request fails.
  let requests = 0;
  async function fetchPrice(symbol: string, signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    requests += 1;
    if (requests === 1) throw new Error('price API: 503');
    return symbol.length * 10;
  }

  // Outermost first: each try gets 200 ms, failed tries are retried, and when
  // all 3 fail the caller gets the fallback value instead of an error.
  const prices = compose(
    new Fallback({ fallback: () => Number.NaN }),
    new Retry({ maxAttempts: 3, initialDelayMs: 50 }),
    new Timeout({ timeoutMs: 200 }),
  );

  // Every event of every instance: "retry:retry retry-1", "retry:success retry-1", …
  const logEvent = (type: keyof BulwarkEventMap, event: BulwarkEvent) => console.log(type, event.patternName);
  bus.on('*', logEvent);

  // 1. One call: fn gets the context; the caller's signal and budget reach every layer.
  const caller = new AbortController();
  const price = await prices.execute(({ signal }) => fetchPrice('ACME', signal), {
    signal: caller.signal,
    timeoutMs: 1_000,
  });

  // 2. A function with the same parameters; each call runs through the policy.
  const getPrice = wrap(prices, (symbol: string) => fetchPrice(symbol));

  // 3. A method (standard decorators, or experimentalDecorators as in NestJS and TypeORM).
  class PriceService {
    @resilient(new Retry({ maxAttempts: 3 }), new Timeout({ timeoutMs: 200 }))
    async latest(symbol: string): Promise<number> {
      return fetchPrice(symbol);
    }
  }
  // ---- README quick start: end ----

  try {
    return { price, wrapped: await getPrice('BULWARK'), decorated: await new PriceService().latest('NODE'), requests };
  } finally {
    bus.off('*', logEvent);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main());
}
