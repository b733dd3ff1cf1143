/**
 * An adaptive concurrency limiter that finds how many concurrent queries a database can take,
 * without being told.
 *
 * - The fake database serves up to 8 queries at once (2 ms each); a query that arrives while 8
 *   run is refused with `OverloadedError`, as a connection pool that is out of connections would.
 * - The limiter (`'aimd'`: additive increase, multiplicative decrease, like TCP) starts at 20.
 *   Every refused query is a drop, and drops cut the limit to 90 %; successes while the limit is
 *   in use add 1 to it. The limit settles around what the database can take, and most queries
 *   then succeed.
 * - 30 workers send 20 queries each. A query over the limit waits up to `maxWaitMs` for a permit,
 *   then is refused with `ConcurrencyLimitError` without reaching the database.
 *
 * Run it: `npx tsx examples/adaptive-concurrency.ts`
 */
import { pathToFileURL } from 'node:url';
import { AdaptiveConcurrencyLimiter, ConcurrencyLimitError, sleep, type AdaptiveConcurrencyLimiterStats } from 'bulwark';

/** The database was out of capacity for this query. */
export class OverloadedError extends Error {
  override name = 'OverloadedError';
}

/** A fake database that serves `capacity` queries at once and refuses the rest. */
function createDatabase(capacity: number) {
  let running = 0;
  let served = 0;
  let overloaded = 0;
  return {
    get served(): number {
      return served;
    },
    get overloaded(): number {
      return overloaded;
    },
    async query(signal: AbortSignal): Promise<string> {
      if (running >= capacity) {
        overloaded++;
        throw new OverloadedError('database: too many connections');
      }
      running++;
      try {
        await sleep(2, signal);
        served++;
        return 'row';
      } finally {
        running--;
      }
    },
  };
}

export interface AdaptiveConcurrencyResult {
  /** The limit at the start and the end. */
  readonly initialLimit: number;
  readonly finalLimit: number;
  /** The lowest limit it reached. */
  readonly lowestLimit: number;
  /** Queries the database served, and refused for being overloaded, in the first and second half of the run. */
  readonly firstHalf: { readonly served: number; readonly overloaded: number };
  readonly secondHalf: { readonly served: number; readonly overloaded: number };
  /** Queries the limiter refused without sending them. */
  readonly refusedByLimiter: number;
  readonly stats: AdaptiveConcurrencyLimiterStats;
}

export async function main(): Promise<AdaptiveConcurrencyResult> {
  const db = createDatabase(8);
  const limiter = new AdaptiveConcurrencyLimiter({
    name: 'orders-db',
    algorithm: 'aimd',
    initialLimit: 20,
    minLimit: 1,
    maxLimit: 50,
    // 2 ms timers jitter by more than the default 1.25× tolerance: judge by the refusals, not by latency.
    rttTolerance: 10,
    maxWaitMs: 100,
    registry: false,
  });
  const limits: number[] = [];
  limiter.events.on('limitChange', (e) => limits.push(e.to));

  let refusedByLimiter = 0;
  const queriesPerWorker = 20;
  let half: { served: number; overloaded: number } | undefined;
  let done = 0;
  const total = 30 * queriesPerWorker;

  async function worker(): Promise<void> {
    for (let i = 0; i < queriesPerWorker; i++) {
      try {
        await limiter.execute(({ signal }) => db.query(signal));
      } catch (error) {
        if (error instanceof ConcurrencyLimitError) refusedByLimiter++;
        else if (!(error instanceof OverloadedError)) throw error;
      }
      if (++done === total / 2) half = { served: db.served, overloaded: db.overloaded };
    }
  }

  await Promise.all(Array.from({ length: 30 }, () => worker()));
  const firstHalf = half ?? { served: 0, overloaded: 0 };
  return {
    initialLimit: 20,
    finalLimit: limiter.limit,
    lowestLimit: Math.min(...limits),
    firstHalf,
    secondHalf: { served: db.served - firstHalf.served, overloaded: db.overloaded - firstHalf.overloaded },
    refusedByLimiter,
    stats: limiter.stats(),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
