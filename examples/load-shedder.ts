/**
 * A load shedder in front of an API handler: when the process is busy, low-priority work is shed
 * first and critical work last.
 *
 * - `maxInFlight: 10` places; with `priorityThresholds` `low: 0.5, normal: 0.75, high: 0.9`
 *   (`critical` keeps its default, 1) a `low` call is shed once 5 places are taken, a `normal` one
 *   at 8, a `high` one at 9 and a `critical` one only when all 10 are. (The default thresholds,
 *   `low: 0.5` and 1 for the rest, let `normal` calls take every place and keep none for the
 *   higher priorities.)
 * - A shed call is refused at once with `LoadShedError` (code `LOAD_SHED`, reason `capacity`, the
 *   `loadLevel` at that moment and a `retryAfterMs` hint for a `Retry-After` header); the handler
 *   never runs.
 * - The same shedder can also read Node's own load signals (event-loop delay, utilisation, heap:
 *   the `signals` option); this example leaves them off so that what it prints does not depend on
 *   the machine.
 *
 * Run it: `npx tsx examples/load-shedder.ts`
 */
import { pathToFileURL } from 'node:url';
import { LoadShedError, LoadShedder, type LoadShedderStats, type Priority } from 'bulwark';

/** A request the fake handler holds until `finish()` is called. */
function createSlowHandler() {
  const waiting: (() => void)[] = [];
  return {
    handle(): Promise<string> {
      return new Promise((resolve) => waiting.push(() => resolve('200 OK')));
    },
    finish(): void {
      for (const done of waiting.splice(0)) done();
    },
  };
}

/** What one request got: a response, or shed with its reason and load level. */
export type ShedOutcome =
  | { readonly priority: Priority; readonly response: string }
  | { readonly priority: Priority; readonly shed: string; readonly loadLevel: string; readonly retryAfterMs: number };

export interface LoadShedderResult {
  /** Requests of each priority sent while 6 of the 10 places were taken, in that order. */
  readonly whileBusy: readonly ShedOutcome[];
  /** The load level after each change, from the `loadLevelChange` events. */
  readonly levels: readonly string[];
  readonly stats: LoadShedderStats;
}

export async function main(): Promise<LoadShedderResult> {
  const handler = createSlowHandler();
  const shedder = new LoadShedder({
    name: 'api',
    maxInFlight: 10,
    maxQueue: 0, // shed at once what finds every slot taken (by default a tenth of maxInFlight waits)
    priorityThresholds: { low: 0.5, normal: 0.75, high: 0.9 },
    retryAfterMs: 2_000,
    registry: false,
  });
  const levels: string[] = [];
  shedder.events.on('loadLevelChange', (e) => levels.push(e.to));

  const request = async (priority: Priority): Promise<ShedOutcome> => {
    try {
      return { priority, response: await shedder.execute(() => handler.handle(), { priority }) };
    } catch (error) {
      if (!(error instanceof LoadShedError)) throw error;
      return { priority, shed: error.reason, loadLevel: error.loadLevel, retryAfterMs: error.retryAfterMs };
    }
  };

  // Six normal requests in progress: 6 of 10 places taken.
  const inProgress = Array.from({ length: 6 }, () => request('normal'));
  // Each priority is admitted until its threshold, then shed: low at 5 places, normal at 8, high
  // at 9, critical at 10.
  const priorities: Priority[] = ['low', 'normal', 'normal', 'normal', 'high', 'high', 'critical', 'critical'];
  const whileBusy = priorities.map((priority) => request(priority));
  handler.finish();
  await Promise.all(inProgress);

  try {
    return { whileBusy: await Promise.all(whileBusy), levels, stats: shedder.stats() };
  } finally {
    shedder.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
