/**
 * Measures every row in one tinybench `Bench`, so that all libraries of a run share the same
 * process, warmup and settings.
 *
 * One call costs tens of ns to a few µs, too little to time one by one: each tinybench iteration
 * awaits {@link MeasureOptions.batch} calls in a row and reports the batch's mean per call as its
 * sample (`overriddenDuration`), so `mean` is the mean cost of a call and `p50` is the median of
 * the batch means. A row whose `fn` makes several calls at once (its group's `callsPerOp`, e.g.
 * 1,000 concurrent calls) awaits `batch / callsPerOp` of them per sample (at least one) and
 * divides by the calls made, so its numbers are per call too.
 *
 * A full garbage collection runs before each row's warmup and before its measurement, so that
 * garbage left by one library is not collected on the next one's clock; each row pays for the
 * garbage it makes itself.
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench } from 'tinybench';
import { callsPerOp, caseId, type BenchCase } from './cases';

/** Settings of one measured run. */
export interface MeasureOptions {
  /** Time budget per row, in ms. */
  readonly timeMs: number;
  /** Warmup budget per row, in ms, spent before the row is measured. */
  readonly warmupMs: number;
  /** Calls per tinybench iteration (one latency sample); see the module comment for `callsPerOp`. */
  readonly batch: number;
  /**
   * Rotates the order in which rows run by this many places, so that no library always runs
   * first (or last) in every run.
   */
  readonly rotate: number;
}

/**
 * `global.gc`, exposed at run time so that `npm run bench` needs no `--expose-gc` flag; undefined
 * if the runtime refuses.
 */
const collectGarbage: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
})();

/** Whether rows start from a collected heap (see the module comment). */
export const forcesGc: boolean = collectGarbage !== undefined;

/** What one run measured for one row. */
export interface Measurement {
  /** `group/library`, see {@link caseId}. */
  readonly id: string;
  /** Mean time per call, in ns. */
  readonly meanNs: number;
  /** Median of the batch means, in ns per call. */
  readonly p50Ns: number;
  /** Relative margin of error of the mean, in percent (within this run). */
  readonly rmePct: number;
  /** Calls made while measuring (warmup excluded). */
  readonly calls: number;
}

/**
 * Runs every row once under tinybench, in rotated order, each call awaited before the next.
 * @param cases - the rows
 * @param options - time budgets, batch size and rotation
 * @returns one measurement per row, in the order of `cases`
 * @throws when a row errors (a row must never fail: that would measure the error path)
 */
export async function measureRun(cases: readonly BenchCase[], options: MeasureOptions): Promise<Measurement[]> {
  const bench = new Bench({
    time: options.timeMs,
    warmup: true,
    warmupTime: options.warmupMs,
    warmupIterations: 16,
    iterations: 16,
    throws: true,
    setup: () => collectGarbage?.(),
  });
  const now = (): number => bench.now();
  const order = rotate(cases, options.rotate);
  for (const c of order) {
    const fn = c.fn;
    const { ops, calls } = sampleSize(c, options.batch);
    bench.add(
      caseId(c),
      async () => {
        const start = now();
        for (let i = 0; i < ops; i++) await fn();
        const elapsed = now() - start;
        return { overriddenDuration: elapsed / calls, overriddenIterationCost: elapsed };
      },
      {
        async: true,
        ...(c.setup === undefined ? {} : { beforeAll: c.setup }),
        ...(c.teardown === undefined ? {} : { afterAll: c.teardown }),
      },
    );
  }
  await bench.run();

  return cases.map((c) => {
    const id = caseId(c);
    const result = bench.getTask(id)?.result;
    if (result === undefined || (result.state !== 'completed' && result.state !== 'aborted-with-statistics')) {
      const error = result !== undefined && result.state === 'errored' ? result.error : undefined;
      throw new Error(`bench row ${id} did not complete (${result?.state ?? 'missing'})`, { cause: error });
    }
    const latency = result.latency;
    return {
      id,
      meanNs: latency.mean * 1e6,
      p50Ns: latency.p50 * 1e6,
      rmePct: latency.rme,
      calls: latency.samplesCount * sampleSize(c, options.batch).calls,
    };
  });
}

/**
 * How many times one sample of row `c` awaits its `fn` (`ops`), and the calls of the operation
 * that makes (`calls`): `batch` calls, or as close as whole ops of the row's `callsPerOp` allow.
 */
function sampleSize(c: BenchCase, batch: number): { ops: number; calls: number } {
  const perOp = callsPerOp(c.group);
  const ops = Math.max(1, Math.round(batch / perOp));
  return { ops, calls: ops * perOp };
}

function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const shift = ((by % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
