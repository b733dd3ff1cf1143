/**
 * A bulkhead in front of a reports database that can take two queries at a time.
 *
 * - `maxInFlight: 2`: two queries run at once; `maxQueue: 1`: one more waits for a slot, in
 *   arrival order; a fourth call at that moment is refused at once with `BulkheadRejectedError`
 *   (reason `queueFull`) and the database never sees it.
 * - `maxWaitMs: 100`: a call that waits longer than that in the queue is refused with reason
 *   `queueTimeout` and never runs.
 * - Every slot is freed when its call settles, whatever the outcome.
 *
 * Run it: `npx tsx examples/bulkhead.ts`
 */
import { pathToFileURL } from 'node:url';
import { Bulkhead, BulkheadRejectedError, sleep, type BulkheadStats } from 'bulwark';

/** A fake reports database: each query takes `ms`, and it records the most queries it ran at once. */
function createReportsDb() {
  let running = 0;
  let mostAtOnce = 0;
  return {
    get mostAtOnce(): number {
      return mostAtOnce;
    },
    async query(report: string, ms: number, signal: AbortSignal): Promise<string> {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      try {
        await sleep(ms, signal);
        return `rows of ${report}`;
      } finally {
        running--;
      }
    },
  };
}

/** What the caller of one query got: its rows, or the reason it was refused. */
export type BulkheadOutcome = { readonly rows: string } | { readonly refused: string; readonly code: string };

export interface BulkheadResult {
  /** Four queries at once: two run, one waits its turn, one is refused. */
  readonly burst: readonly BulkheadOutcome[];
  /** A query that waited in the queue past `maxWaitMs` behind a long one. */
  readonly waitedTooLong: BulkheadOutcome;
  /** The most queries the database ran at once. */
  readonly mostAtOnce: number;
  readonly stats: BulkheadStats;
}

/** Runs `query` and turns a refusal into data. */
async function outcomeOf(query: Promise<string>): Promise<BulkheadOutcome> {
  try {
    return { rows: await query };
  } catch (error) {
    if (error instanceof BulkheadRejectedError) return { refused: error.reason, code: error.code };
    throw error;
  }
}

export async function main(): Promise<BulkheadResult> {
  const db = createReportsDb();
  const bulkhead = new Bulkhead({ name: 'reports-db', maxInFlight: 2, maxQueue: 1, maxWaitMs: 100, registry: false });
  bulkhead.events.on('rejected', (e) => console.log(`refused (${e.reason}): ${e.inFlight} running, ${e.queued} waiting`));

  const report = (name: string, ms: number) => outcomeOf(bulkhead.execute(({ signal }) => db.query(name, ms, signal)));

  const burst = await Promise.all([report('sales', 30), report('stock', 30), report('returns', 30), report('audit', 30)]);

  // Both slots taken for 300 ms: the queued query gives up after 100 ms.
  const long = [report('year', 300), report('decade', 300)];
  const waitedTooLong = await report('quarter', 10);
  await Promise.all(long);

  return { burst, waitedTooLong, mostAtOnce: db.mostAtOnce, stats: bulkhead.stats() };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
