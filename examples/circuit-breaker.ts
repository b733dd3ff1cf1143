/**
 * A circuit breaker in front of a pricing service that goes down and comes back.
 *
 * - Window mode: the breaker opens when at least half of the last 10 calls failed (once it has
 *   seen 4 calls). Only `ServiceUnavailableError` counts as a failure; a `NotFoundError` is an
 *   answer from a healthy service, so it passes through unchanged and counts as a success.
 * - While open, calls are refused at once with `CircuitOpenError` (code `CIRCUIT_OPEN`, reason
 *   `circuitOpen`, with `retryAfterMs`) and the service receives nothing.
 * - After `recoveryTimeoutMs`, one probe at a time is let through (half-open): a failed probe
 *   re-opens the circuit, two successful ones close it.
 * - A call that the caller aborts counts neither way.
 *
 * `recoveryTimeoutMs: 100` keeps the example short; in production it is tens of seconds.
 *
 * Run it: `npx tsx examples/circuit-breaker.ts`
 */
import { pathToFileURL } from 'node:url';
import { CircuitBreaker, CircuitOpenError, sleep, type CircuitBreakerStats } from 'bulwark';

/** The pricing service is down (a 503): worth counting against it. */
export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';
}

/** No price for that SKU (a 404): the service answered, so it is healthy. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** A fake pricing service that can be switched down and up, counting the requests it receives. */
function createPricingService() {
  let up = true;
  let requests = 0;
  return {
    get requests(): number {
      return requests;
    },
    setUp(value: boolean): void {
      up = value;
    },
    async price(sku: string, signal: AbortSignal): Promise<number> {
      requests++;
      await sleep(1, signal);
      if (!up) throw new ServiceUnavailableError('pricing: 503 Service Unavailable');
      if (sku === 'UNKNOWN') throw new NotFoundError(`pricing: no price for ${sku}`);
      return 42;
    },
  };
}

/** What a caller got from one call. */
export type Outcome =
  | { readonly result: 'value'; readonly value: number }
  | { readonly result: 'error'; readonly name: string; readonly message: string }
  | {
      readonly result: 'rejected';
      readonly code: string;
      readonly reason: string;
      readonly state: string;
      readonly retryAfterMs: number;
      readonly message: string;
    };

export interface CircuitBreakerResult {
  /** Each call in order, as the caller saw it. */
  readonly outcomes: readonly Outcome[];
  /** Every `stateChange` event as `from → to (reason)`. */
  readonly transitions: readonly string[];
  /** Requests the service received: refused calls never reach it. */
  readonly requests: number;
  /** `rejected` events. */
  readonly rejectedEvents: number;
  /** The breaker's stats at the end. */
  readonly stats: CircuitBreakerStats;
}

export async function main(): Promise<CircuitBreakerResult> {
  const service = createPricingService();
  const breaker = new CircuitBreaker({
    name: 'pricing',
    window: { type: 'count', size: 10 },
    minimumCalls: 4,
    failureRateThreshold: 0.5,
    recoveryTimeoutMs: 100,
    successThreshold: 2,
    exceptions: { handle: [ServiceUnavailableError] },
    registry: false, // a short-lived example: keep it out of the default registry
  });

  const transitions: string[] = [];
  breaker.events.on('stateChange', (e) => transitions.push(`${e.from} → ${e.to} (${e.reason})`));
  let rejectedEvents = 0;
  breaker.events.on('rejected', () => rejectedEvents++);

  const outcomes: Outcome[] = [];
  const call = async (sku: string, signal: AbortSignal = new AbortController().signal): Promise<void> => {
    try {
      const value = await breaker.execute(({ signal }) => service.price(sku, signal), { signal });
      outcomes.push({ result: 'value', value });
    } catch (error) {
      if (error instanceof CircuitOpenError) {
        // Refused without calling the service: answer from elsewhere, or 503 + Retry-After.
        const { code, reason, state, retryAfterMs, message } = error;
        outcomes.push({ result: 'rejected', code, reason, state, retryAfterMs, message });
      } else {
        // The service's own error (or the caller's abort reason), unchanged.
        outcomes.push({ result: 'error', name: (error as Error).name, message: (error as Error).message });
      }
    }
  };

  // Healthy: three prices and a 404, which counts as a success.
  for (const sku of ['A1', 'B2', 'C3', 'UNKNOWN']) await call(sku);

  // A caller gives up on a call: it counts neither way.
  const impatient = new AbortController();
  const abandoned = call('D4', impatient.signal);
  impatient.abort(new Error('client went away'));
  await abandoned;

  // Down: 4 failures among the last 8 calls is a failure rate of 0.5, so the 4th one opens it.
  service.setUp(false);
  for (let i = 0; i < 4; i++) await call('A1');

  // Open: refused at once, the service sees nothing.
  await call('A1');

  // After the recovery timeout, one probe: still down, so it re-opens.
  await sleep(120);
  await call('A1');

  // Back up: after the next recovery timeout, two successful probes close it.
  service.setUp(true);
  await sleep(120);
  await call('A1');
  await call('B2');
  await call('C3');

  return { outcomes, transitions, requests: service.requests, rejectedEvents, stats: breaker.stats() };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
