/**
 * Backpressure between a fast producer and a slow consumer, and around a call.
 *
 * - The producer reads 30 jobs as fast as it can and hands them to a consumer that handles one
 *   every 2 ms. Before each job it awaits `ready()`, then `acquire()`s a unit; the consumer
 *   `release()`s the unit when the job is done. Once 8 jobs are pending (`highWaterMark`) the
 *   producer is paused until only 2 are (`lowWaterMark`): the buffer never holds more than 8,
 *   however fast the producer is.
 * - `execute(fn)` takes part in the same count: while paused, a call waits, and when its deadline
 *   (here `timeoutMs: 5`) or `maxWaitMs` comes first, it is refused with `BackpressureTimeoutError`
 *   (reason `deadline` or `queueTimeout`) without running. `maxWaitMs` bounds the producer's
 *   `ready()` too.
 *
 * Run it: `npx tsx examples/backpressure.ts`
 */
import { pathToFileURL } from 'node:url';
import { Backpressure, BackpressureTimeoutError, sleep, type BackpressureStats } from 'bulwark';

export interface BackpressureResult {
  /** Jobs the consumer handled, in order. */
  readonly handled: readonly number[];
  /** The most jobs that were ever in the buffer at once. */
  readonly mostBuffered: number;
  /** `pause` and `resume` events, with the pending count each saw. */
  readonly pauses: readonly string[];
  /** A call made while the producer kept it paused, refused at its 5 ms deadline. */
  readonly refusedCall: { readonly name: string; readonly reason: string; readonly waitedMs: number };
  readonly stats: BackpressureStats;
}

export async function main(): Promise<BackpressureResult> {
  const backpressure = new Backpressure({ name: 'jobs', highWaterMark: 8, lowWaterMark: 2, maxWaitMs: 1_000, registry: false });
  const pauses: string[] = [];
  backpressure.events.on('pause', (e) => pauses.push(`pause at ${e.pending}`));
  backpressure.events.on('resume', (e) => pauses.push(`resume at ${e.pending}`));

  const buffer: number[] = [];
  const handled: number[] = [];
  let mostBuffered = 0;
  const jobs = 30;

  async function produce(): Promise<void> {
    for (let job = 1; job <= jobs; job++) {
      await backpressure.ready(); // waits while paused; counts nothing
      backpressure.acquire(); // one more job pending; never waits
      buffer.push(job);
      mostBuffered = Math.max(mostBuffered, buffer.length);
    }
  }

  async function consume(): Promise<void> {
    while (handled.length < jobs) {
      const job = buffer.shift();
      if (job === undefined) {
        await sleep(1);
        continue;
      }
      try {
        await sleep(2); // the work
        handled.push(job);
      } finally {
        backpressure.release(); // the job's unit, whatever its outcome
      }
    }
  }

  const firstPause = new Promise<void>((resolve) => backpressure.events.once('pause', () => resolve()));
  const producing = produce();
  const consuming = consume();

  // While the producer holds it paused, a call with a 5 ms budget waits, then is refused: the
  // consumer needs 6 jobs × 2 ms to bring the count down to lowWaterMark.
  await firstPause;
  let refusedCall: BackpressureResult['refusedCall'] = { name: 'none', reason: 'not paused', waitedMs: 0 };
  try {
    await backpressure.execute(() => 'written', { timeoutMs: 5 });
  } catch (error) {
    if (!(error instanceof BackpressureTimeoutError)) throw error;
    refusedCall = { name: error.name, reason: error.reason, waitedMs: error.waitedMs };
  }

  await Promise.all([producing, consuming]);
  return { handled, mostBuffered, pauses, refusedCall, stats: backpressure.stats() };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
