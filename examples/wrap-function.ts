/**
 * `wrap(policy, fn)`: turn an async function into one with the same parameters that runs each
 * call through a policy, here a Retry.
 *
 * `wrap` does not hand the wrapped function an ExecutionContext, so the function takes the
 * caller's `signal` as an ordinary parameter. The Retry is told to handle only the error worth
 * retrying (`UpstreamUnavailableError`): a caller's abort then reaches the caller at once instead
 * of being retried.
 *
 * Run it: `npx tsx examples/wrap-function.ts`
 */
import { pathToFileURL } from 'node:url';
import { Retry, wrap, type RetryStats } from 'bulwark';

/** What the quote client throws for an HTTP 503: worth retrying. */
export class UpstreamUnavailableError extends Error {
  override name = 'UpstreamUnavailableError';
}

/** A fake quote client whose first `failures` requests fail; it honours `signal`. */
export function createQuoteClient(failures: number) {
  let requests = 0;
  return {
    /** Requests made so far. */
    get requests(): number {
      return requests;
    },
    async quote(symbol: string, signal: AbortSignal): Promise<number> {
      requests++;
      signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (requests <= failures) throw new UpstreamUnavailableError(`quote service unavailable (request ${requests})`);
      return symbol.length * 10.5;
    },
  };
}

/** What a caller saw from one rejected call. */
export interface Rejection {
  readonly name: string;
  readonly message: string;
  readonly requests: number;
}

export interface WrapFunctionResult {
  /** The price returned after two failed tries. */
  readonly price: number;
  /** Requests the flaky client received for it. */
  readonly requestsForPrice: number;
  /** The `attempt` of each `retry` event: the tries that failed and were retried. */
  readonly retriedAttempts: number[];
  /** A client that never recovers: the caller receives the last error itself. */
  readonly exhausted: Rejection;
  /** A caller that aborted: it receives its own reason, and nothing is retried. */
  readonly aborted: Rejection;
  /** The Retry's counters over the three calls. */
  readonly stats: RetryStats;
}

export async function main(): Promise<WrapFunctionResult> {
  const retry = new Retry({
    name: 'quotes-retry',
    maxAttempts: 3,
    initialDelayMs: 5,
    exceptions: { handle: [UpstreamUnavailableError] },
  });
  const retriedAttempts: number[] = [];
  retry.events.on('retry', (event) => retriedAttempts.push(event.attempt));

  // Fails twice, then answers: the caller only sees the price.
  const flaky = createQuoteClient(2);
  const getQuote = wrap(retry, (symbol: string, signal: AbortSignal) => flaky.quote(symbol, signal));
  const price = await getQuote('ACME', new AbortController().signal);

  // Never answers: after 3 tries the caller receives the client's own last error.
  const down = createQuoteClient(Number.POSITIVE_INFINITY);
  const getQuoteFromDown = wrap(retry, (symbol: string, signal: AbortSignal) => down.quote(symbol, signal));
  const exhausted = await getQuoteFromDown('ACME', new AbortController().signal).then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error): Rejection => ({ name: error.name, message: error.message, requests: down.requests }),
  );

  // The caller gives up before the call: its reason is not handled, so it is not retried.
  const cancelled = createQuoteClient(0);
  const getQuoteCancelled = wrap(retry, (symbol: string, signal: AbortSignal) => cancelled.quote(symbol, signal));
  const controller = new AbortController();
  controller.abort(new Error('request cancelled by the client'));
  const aborted = await getQuoteCancelled('ACME', controller.signal).then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error): Rejection => ({ name: error.name, message: error.message, requests: cancelled.requests }),
  );

  return { price, requestsForPrice: flaky.requests, retriedAttempts, exhausted, aborted, stats: retry.stats() };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
