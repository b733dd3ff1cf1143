/**
 * Entry of `npm run bench`: measures every row of every library in this one process, prints the
 * results table and the goal verdicts, and writes the same data to `bench/results.json`.
 *
 * Environment:
 * - `BENCH_RUNS` — measured runs, each timing every row (default 3); the table shows the median
 * - `BENCH_TIME_MS` — time budget per row and run, in ms (default 1000)
 * - `BENCH_WARMUP_MS` — warmup per row and run, in ms (default a quarter of the time budget)
 * - `BENCH_BATCH` — calls per latency sample (default 100)
 * - `BENCH_BULWARK` — which bulwark code to measure: `build` (default), `dist` or `src`; see `bulwark.ts`
 * - `BENCH_GROUPS` — comma-separated group ids to measure (default: every group); the bare call is
 *   always measured, and goals on groups left out read `N/A`. For focused reruns only: the
 *   reference numbers come from a full run.
 *
 * Quick check: `BENCH_RUNS=1 BENCH_TIME_MS=200 npm run bench`.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { deriveRun, summarise, type RowRun } from './analysis';
import { bulwarkSourceFromEnv, loadBulwark } from './bulwark';
import { BARE_GROUP, GROUPS, createCases, operation, type BenchCase } from './cases';
import { evaluateGoals } from './goals';
import { forcesGc, measureRun, type Measurement } from './measure';
import { envInt } from './settings';
import { formatGoals, formatPerOpNotes, formatResultsTable } from './table';

/** Settings of a benchmark session, from the environment. */
interface Settings {
  readonly runs: number;
  readonly timeMs: number;
  readonly warmupMs: number;
  readonly batch: number;
}

function readSettings(): Settings {
  const timeMs = envInt('BENCH_TIME_MS', 1000);
  return {
    runs: envInt('BENCH_RUNS', 3),
    timeMs,
    warmupMs: envInt('BENCH_WARMUP_MS', Math.max(50, Math.round(timeMs / 4))),
    batch: envInt('BENCH_BATCH', 100),
  };
}

/**
 * The rows to measure: every row, or those of the groups listed in `BENCH_GROUPS` plus the bare call.
 * @throws when `BENCH_GROUPS` names a group that does not exist
 */
function selectCases(cases: readonly BenchCase[]): readonly BenchCase[] {
  const raw = process.env['BENCH_GROUPS'];
  if (raw === undefined || raw.trim() === '') return cases;
  const wanted = new Set(raw.split(',').map((id) => id.trim()).filter((id) => id !== ''));
  const unknown = [...wanted].filter((id) => !GROUPS.some((group) => group.id === id));
  if (unknown.length > 0) {
    throw new Error(`BENCH_GROUPS names unknown groups: ${unknown.join(', ')} (known: ${GROUPS.map((g) => g.id).join(', ')})`);
  }
  return cases.filter((c) => c.group === BARE_GROUP || wanted.has(c.group));
}

/**
 * Keeps process warnings (e.g. a peer library's MaxListenersExceededWarning) out of the table
 * output; they are counted and summarised at the end instead.
 */
function captureWarnings(): Map<string, number> {
  const counts = new Map<string, number>();
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    const key = `${warning.name}: ${warning.message}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return counts;
}

/**
 * Fails fast when a row does not measure what it claims: a value row must return the operation's
 * value (otherwise it would measure an error path), a rejected row must resolve to undefined (its
 * rejection caught) and pass its `verify` (e.g. its breaker is open and refuses with its
 * open-circuit error).
 */
async function checkCases(cases: ReturnType<typeof createCases>['cases']): Promise<void> {
  const expected = await operation();
  for (const c of cases) {
    const row = `${c.group}/${c.library}`;
    await c.setup?.();
    try {
      await c.verify?.();
      const value = await c.fn();
      if (c.outcome === 'rejected') {
        if (value !== undefined) throw new Error(`row ${row} returned ${String(value)}, expected a caught rejection`);
      } else if (value !== expected) {
        throw new Error(`row ${row} returned ${String(value)}, expected ${expected}`);
      }
    } finally {
      await c.teardown?.();
    }
  }
}

async function main(): Promise<void> {
  const settings = readSettings();
  const warnings = captureWarnings();
  const bulwark = await loadBulwark(bulwarkSourceFromEnv());
  if (bulwark.warning !== undefined) process.stderr.write(`bench: warning: ${bulwark.warning}\n`);
  const caseSet = createCases(bulwark.module);
  const dispose = caseSet.dispose;
  const cases = selectCases(caseSet.cases);
  const started = Date.now();
  const raw: Measurement[][] = [];
  const derived: Map<string, RowRun>[] = [];
  try {
    await checkCases(cases);
    const rotateStep = Math.ceil(cases.length / settings.runs);
    for (let run = 0; run < settings.runs; run++) {
      process.stderr.write(`bench: run ${run + 1}/${settings.runs} (${cases.length} rows × ${settings.timeMs} ms)…\n`);
      const measurements = await measureRun(cases, {
        timeMs: settings.timeMs,
        warmupMs: settings.warmupMs,
        batch: settings.batch,
        rotate: run * rotateStep,
      });
      raw.push(measurements);
      derived.push(deriveRun(cases, measurements));
    }
  } finally {
    dispose();
  }
  const elapsedS = (Date.now() - started) / 1000;

  const rows = summarise(cases, derived);
  const goals = evaluateGoals(rows);
  const cpu = cpus()[0]?.model ?? 'unknown cpu';

  const out: string[] = [];
  out.push(
    `bulwark bench — node ${process.version}, ${cpu} ×${cpus().length}; ${settings.runs} run(s) × ${settings.timeMs} ms/row ` +
      `(+${settings.warmupMs} ms warmup), ${settings.batch} awaited calls per sample (one batch for rows of concurrent calls), ` +
      `${forcesGc ? 'full GC before each row\'s warmup, young GC before its samples' : 'no forced GC (gc unavailable)'}; ${elapsedS.toFixed(1)} s`,
  );
  out.push(`bulwark measured from: ${bulwark.description}${bulwark.warning === undefined ? '' : ` — WARNING: ${bulwark.warning}`}`);
  const partial = cases.length < caseSet.cases.length;
  if (partial) out.push(`PARTIAL RUN: only the groups in BENCH_GROUPS (${process.env['BENCH_GROUPS'] ?? ''}) and the bare call`);
  for (const note of caseSet.notes) out.push(`NOTE: ${note}`);
  out.push('');
  out.push(formatResultsTable(rows, GROUPS));
  out.push('');
  out.push(...formatPerOpNotes(rows, GROUPS));
  out.push(
    'ns/op: mean per call; p50 ns: median of per-sample means; ±rme: 95% margin of the mean within a run; ' +
      'run spread: (max − min) / median of the runs\' means.',
  );
  out.push(
    "overhead = ns/op − bare ns/op (in a group with its own baseline row, − that row's ns/op). Every column is the median over runs of a same-run value; " +
      'ovh ÷ best peer compares with the fastest OTHER library of the row group.',
  );
  out.push(
    'Calls are sequential (one in flight; but for the groups of concurrent calls above) and no other timer runs between rows, ' +
      'so a Timeout\'s setTimeout creates and drops Node\'s 1000 ms timer list on every call: the worst case for timers.',
  );
  const sliced = GROUPS.filter((group) => (group.slices ?? 1) > 1 && cases.some((c) => c.group === group.id));
  if (sliced.length > 0) {
    out.push(
      `Rows of ${sliced.map((group) => `\`${group.id}\``).join(', ')} are measured last in each run, in ` +
        `${sliced.map((group) => group.slices).join(' / ')} alternating slices per row (A B C D, D C B A, …), so that the machine's (and a shared server's) ` +
        'drift hits every row of the group alike; their numbers pool the samples of all slices.',
    );
  }
  out.push('');
  out.push(formatGoals(goals));
  if (warnings.size > 0) {
    out.push('');
    out.push('process warnings during the run (kept out of the table):');
    for (const [text, count] of warnings) out.push(`  ${count}× ${text}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);

  const resultsPath = fileURLToPath(new URL('./results.json', import.meta.url));
  const json = {
    date: new Date().toISOString(),
    environment: { node: process.version, v8: process.versions.v8, platform: process.platform, arch: process.arch, cpu, cpus: cpus().length },
    settings: { ...settings, forcesGc, groups: partial ? process.env['BENCH_GROUPS'] ?? null : null },
    bulwark: { source: bulwark.source, description: bulwark.description, warning: bulwark.warning ?? null },
    elapsedS,
    groups: GROUPS,
    rows,
    goals,
    notes: caseSet.notes,
    raw,
    warnings: Object.fromEntries(warnings),
  };
  writeFileSync(resultsPath, `${JSON.stringify(json, null, 2)}\n`);
  process.stderr.write(`bench: wrote ${resultsPath}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
