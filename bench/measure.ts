/**
 * Measures every row in one tinybench `Bench`, so that all libraries of a run share the same
 * process, warmup and settings.
 *
 * One call costs tens of ns to a few µs, too little to time one by one: each tinybench iteration
 * awaits {@link MeasureOptions.batch} calls in a row and reports the batch's mean per call as its
 * sample (`overriddenDuration`), so `mean` is the mean cost of a call and `p50` is the median of
 * the batch means. A row whose `fn` makes several calls at once (its group's `callsPerOp`, e.g.
 * 1,000 concurrent calls) awaits `batch / callsPerOp` of them per sample (at least one) and
 * divides by the calls made, so its numbers are per call too. A group whose one op takes
 * milliseconds (a metrics flush or collection) sets `opsPerSample: 1`: a sample is one op.
 *
 * Each row is measured right after its own warmup: a full garbage collection, the warmup, then a
 * young-generation collection, and its samples. The full collection clears the garbage left by the
 * rows before, so that it is not collected on this row's clock; each row pays for the garbage it
 * makes itself. It also discards optimized code: V8 deoptimizes the hot functions of ioredis,
 * Node's streams and bulwark ("weak objects") at every forced full collection, which natural
 * collections of the same work do not do; the warmup after it compiles them again, so that no
 * row measures its code's recompilation (which costs most the row that runs the most code). The
 * young collection before the samples clears the warmup's garbage and discards no code.
 *
 * Rows of a group with {@link Group.slices} (the rate limiters': a store of 10,000 keys, or a
 * shared Redis server, makes their speed drift with everything else the machine does) are
 * measured after the others, in that many alternating slices of `timeMs / slices` each (A B C D,
 * D C B A, A B C D, …): a slow second then hits every row of the group alike instead of the one
 * that happened to run in it, so the group's same-run ratios measure the libraries, not the
 * machine. A row's numbers are those of all its slices' samples pooled. Groups whose rows build
 * fresh state in `setup` (a newly tripped breaker) are not sliced: each slice would measure a new
 * instance's warm-up.
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench } from 'tinybench';
import { callsPerOp, caseId, opsPerSampleOf, slicesOf, type BenchCase } from './cases';

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

/** A young-generation collection (a scavenge), which, unlike a full one, leaves optimized code alone. */
const collectYoungGarbage = (): void => (collectGarbage as ((options: { type: 'minor' }) => void) | undefined)?.({ type: 'minor' });

/**
 * Warms a row up right before its samples (see the module comment): a full collection, `sample`
 * for at least `warmupMs` and {@link MIN_SAMPLES} calls, then a young collection.
 */
async function warmUp(sample: () => Promise<unknown>, warmupMs: number): Promise<void> {
  collectGarbage?.();
  const until = performance.now() + warmupMs;
  for (let i = 0; i < MIN_SAMPLES || performance.now() < until; i++) await sample();
  collectYoungGarbage();
}

/** Samples a row takes at least, in its warmup and in its measurement. */
const MIN_SAMPLES = 16;

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
 * Runs every row once under tinybench, in rotated order, each call awaited before the next; the
 * rows of sliced groups last, slice by slice (see the module comment).
 * @param cases - the rows
 * @param options - time budgets, batch size and rotation
 * @returns one measurement per row, in the order of `cases`
 * @throws when a row errors (a row must never fail: that would measure the error path)
 */
export async function measureRun(cases: readonly BenchCase[], options: MeasureOptions): Promise<Measurement[]> {
  const order = rotate(cases, options.rotate);
  const measured = new Map<string, Measurement>();
  const whole = order.filter((c) => slicesOf(c.group) === 1);
  await runTasks(whole, options, 1, measured);
  for (const group of new Set(order.map((c) => c.group))) {
    const slices = slicesOf(group);
    if (slices > 1) await runTasks(order.filter((c) => c.group === group), options, slices, measured);
  }
  return cases.map((c) => {
    const measurement = measured.get(caseId(c));
    if (measurement === undefined) throw new Error(`bench row ${caseId(c)} was not measured`);
    return measurement;
  });
}

/**
 * Measures `rows` in one tinybench `Bench`: each row once, or in `slices` alternating slices of
 * `timeMs / slices` whose samples are pooled; adds the measurements to `measured`.
 */
async function runTasks(
  rows: readonly BenchCase[],
  options: MeasureOptions,
  slices: number,
  measured: Map<string, Measurement>,
): Promise<void> {
  // tinybench's own warmup runs every row's warmup before the first row's samples: the full
  // collection before a later warmup would discard the code an earlier row had warmed up.
  const bench = new Bench({
    time: options.timeMs / slices,
    warmup: false,
    iterations: MIN_SAMPLES,
    throws: true,
    retainSamples: slices > 1,
  });
  const warmupMs = Math.max(50, options.warmupMs / slices);
  const now = (): number => bench.now();
  const taskId = (c: BenchCase, slice: number): string => (slices === 1 ? caseId(c) : `${caseId(c)}#${slice}`);
  for (let slice = 0; slice < slices; slice++) {
    for (const c of slice % 2 === 0 ? rows : [...rows].reverse()) {
      const fn = c.fn;
      const { ops, calls } = sampleSize(c, options.batch);
      const sample = async (): Promise<{ overriddenDuration: number; overriddenIterationCost: number }> => {
        const start = now();
        for (let i = 0; i < ops; i++) await fn();
        const elapsed = now() - start;
        return { overriddenDuration: elapsed / calls, overriddenIterationCost: elapsed };
      };
      const setup = c.setup;
      bench.add(taskId(c, slice), sample, {
        async: true,
        beforeAll: async () => {
          await setup?.();
          await warmUp(sample, warmupMs);
        },
        ...(c.teardown === undefined ? {} : { afterAll: c.teardown }),
      });
    }
  }
  await bench.run();

  for (const c of rows) {
    const latencies = Array.from({ length: slices }, (_, slice) => {
      const id = taskId(c, slice);
      const result = bench.getTask(id)?.result;
      if (result === undefined || (result.state !== 'completed' && result.state !== 'aborted-with-statistics')) {
        const error = result !== undefined && result.state === 'errored' ? result.error : undefined;
        throw new Error(`bench row ${id} did not complete (${result?.state ?? 'missing'})`, { cause: error });
      }
      return result.latency;
    });
    const perSample = sampleSize(c, options.batch).calls;
    if (slices === 1) {
      const latency = latencies[0] as (typeof latencies)[number];
      measured.set(caseId(c), {
        id: caseId(c),
        meanNs: latency.mean * 1e6,
        p50Ns: latency.p50 * 1e6,
        rmePct: latency.rme,
        calls: latency.samplesCount * perSample,
      });
    } else {
      const samples = latencies.flatMap((latency) => [...(latency.samples ?? [])]);
      measured.set(caseId(c), { id: caseId(c), ...pooled(samples), calls: samples.length * perSample });
    }
  }
}

/**
 * Mean, median and relative 95% margin of error (normal approximation: pooled slices hold
 * hundreds of samples) of samples in ms, in ns.
 * @throws when there are no samples
 */
function pooled(samples: readonly number[]): Pick<Measurement, 'meanNs' | 'p50Ns' | 'rmePct'> {
  const n = samples.length;
  if (n === 0) throw new Error('a sliced bench row produced no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / n;
  const middle = Math.floor(n / 2);
  const p50 = n % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  const variance = n < 2 ? 0 : sorted.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  return { meanNs: mean * 1e6, p50Ns: p50 * 1e6, rmePct: mean === 0 ? 0 : (100 * 1.96 * Math.sqrt(variance / n)) / mean };
}

/**
 * How many times one sample of row `c` awaits its `fn` (`ops`), and the calls of the operation
 * that makes (`calls`): `batch` calls, or as close as whole ops of the row's `callsPerOp` allow.
 */
function sampleSize(c: BenchCase, batch: number): { ops: number; calls: number } {
  const perOp = callsPerOp(c.group);
  const ops = opsPerSampleOf(c.group) ?? Math.max(1, Math.round(batch / perOp));
  return { ops, calls: ops * perOp };
}

function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const shift = ((by % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
