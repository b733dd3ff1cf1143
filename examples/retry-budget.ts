/**
 * Retry budgets: during an outage, retries should not multiply the load on the dependency.
 *
 * Without a budget, 20 failing calls with `maxAttempts: 3` send 60 requests. With a shared
 * `RetryBudget({ ratio: 0.25 })`, every call deposits 0.25 token and a retry spends one, so the
 * two Retry policies that call the inventory service together add at most 25 % to its load.
 *
 * `minPerSecond: 0` makes the numbers exact for this example; in production keep the default
 * floor (10 retries per second) so that a quiet service can still retry.
 *
 * Run it: `npx tsx examples/retry-budget.ts`
 */
import { pathToFileURL } from 'node:url';
import { Retry, RetryBudget, type RetryExhaustedReason, type RetryOptions } from 'bulwark';

/** What the inventory service throws while it is down. */
export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';
}

/** Requests that reached the (fake, always failing) inventory service. */
function createDownService() {
  let requests = 0;
  return {
    get requests(): number {
      return requests;
    },
    async call(operation: string, signal: AbortSignal): Promise<never> {
      requests++;
      signal.throwIfAborted();
      throw new ServiceUnavailableError(`inventory ${operation}: 503 Service Unavailable`);
    },
  };
}

export interface OutageReport {
  /** Calls made by the application. */
  readonly calls: number;
  /** Requests the service received (calls + retries). */
  readonly requests: number;
  /** Retries made, summed over both Retry policies' stats(). */
  readonly retries: number;
  /** Retries refused by the budget, from stats(). */
  readonly retriesDeniedByBudget: number;
  /** `exhausted` events by reason. */
  readonly exhaustedBy: Partial<Record<RetryExhaustedReason, number>>;
  /** What the last caller received: the service's own error. */
  readonly callerSaw: string;
}

async function outage(options: RetryOptions): Promise<OutageReport> {
  const service = createDownService();
  const reads = new Retry({ ...options, name: 'inventory-reads' });
  const writes = new Retry({ ...options, name: 'inventory-writes' });
  const exhaustedBy: Partial<Record<RetryExhaustedReason, number>> = {};
  for (const retry of [reads, writes]) {
    retry.events.on('exhausted', (event) => (exhaustedBy[event.reason] = (exhaustedBy[event.reason] ?? 0) + 1));
  }

  let callerSaw = '';
  const calls = 20;
  for (let i = 0; i < calls; i++) {
    const retry = i % 2 === 0 ? reads : writes;
    const operation = i % 2 === 0 ? 'read' : 'write';
    try {
      await retry.execute(({ signal }) => service.call(operation, signal), { signal: new AbortController().signal });
    } catch (error) {
      callerSaw = `${(error as Error).name}: ${(error as Error).message}`;
    }
  }
  const [r, w] = [reads.stats(), writes.stats()];
  return {
    calls,
    requests: service.requests,
    retries: r.retries + w.retries,
    retriesDeniedByBudget: r.retriesDeniedByBudget + w.retriesDeniedByBudget,
    exhaustedBy,
    callerSaw,
  };
}

export interface RetryBudgetResult {
  readonly withoutBudget: OutageReport;
  readonly withBudget: OutageReport;
  /** Tokens left in the shared budget after the outage. */
  readonly tokensLeft: number;
}

export async function main(): Promise<RetryBudgetResult> {
  const common = { maxAttempts: 3, initialDelayMs: 1, jitter: 'none' } as const;
  const withoutBudget = await outage(common);

  // One budget shared by both policies: they call the same service.
  const budget = new RetryBudget({ ratio: 0.25, minPerSecond: 0 });
  const withBudget = await outage({ ...common, budget });

  return { withoutBudget, withBudget, tokensLeft: budget.tokens };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
