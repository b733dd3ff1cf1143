/**
 * Entry of `npm run bench:overload`: does each overload pattern do its job? Goodput (200s within
 * the client's 500 ms deadline) and p99 latency of a node:http server in front of a simulated
 * downstream of 20 concurrent calls at 20 ms (1,000 calls/s), loaded open loop at 0.5× to 4× its
 * capacity, for every configuration of bench/overload-server.ts; then the limit of each adaptive
 * configuration over time at 2× load while the downstream's capacity halves halfway, drawn into
 * docs/images/overload-<config>.svg.
 *
 * The server and the load generator (bench/overload-load.ts) are two processes (pinned to
 * different CPUs with `BENCH_OVERLOAD_PIN=1`; on a machine shared with other work, pinning
 * starves them instead); every point starts from a fresh guard and downstream and
 * is warmed up before it is measured; the repeats are interleaved (every configuration and load
 * once, then again), so that the machine's drift hits them alike; the table shows medians.
 *
 * Flags and environment:
 * - `--long` — the creep run alone (no table): the limit traces last 60 s, with no halving, into
 *   docs/images/overload-<config>-60s.svg
 * - `BENCH_OVERLOAD_POINT_S` — measured seconds per point (default 4; warm-up: `BENCH_OVERLOAD_WARMUP_S`, default 1)
 * - `BENCH_OVERLOAD_REPEATS` — repeats (default 3)
 * - `BENCH_OVERLOAD_TRACE_S` — seconds of each limit trace (default 12; 0 draws none)
 * - `BENCH_OVERLOAD_CONFIGS` — comma-separated configurations to run (default all), and
 *   `BENCH_OVERLOAD_LOADS` — comma-separated loads (default `0.5,1,2,4`): for a quick check of a few
 * - `BENCH_OVERLOAD_PIN` — 1 pins the two processes to CPUs 0 and 1 with `taskset`
 * - `BENCH_OVERLOAD_SCALE` — every duration (latency, deadline, waits, Timeout) times this, every
 *   rate divided by it (default 1): on a machine too busy to serve 4,000 requests/s, a scale of
 *   4 keeps every ratio and needs a quarter of the CPU
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PointResult } from './overload-load';
import { CONFIGS, type ConfigName, type ServerCommand } from './overload-configs';
import { envInt } from './settings';

const CAPACITY = 20;
const SERVED_PER_S = 1_000;
const LOADS: readonly number[] = listed('BENCH_OVERLOAD_LOADS', ['0.5', '1', '2', '4']).map(Number);
const ADAPTIVE: readonly ConfigName[] = ['gradient2', 'vegas', 'aimd-timeout', 'aimd'];
const LABELS: Record<ConfigName, string> = {
  none: 'no protection',
  bulkhead: 'Bulkhead 20, queue 100, 400 ms wait',
  shedder: 'LoadShedder maxInFlight 20 (default priority)',
  'shedder-critical': 'LoadShedder, calls sent as critical',
  'shedder-queue-1': 'LoadShedder, maxQueue 1',
  'shedder-no-queue': 'LoadShedder, maxQueue 0 (no queue)',
  gradient2: 'adaptive gradient2 (defaults)',
  vegas: 'adaptive vegas (defaults)',
  'aimd-timeout': 'adaptive aimd + Timeout 100 ms',
  aimd: 'adaptive aimd (defaults), no Timeout',
};

/** The comma-separated values of the environment variable `name`, or `all` when it is not set. */
function listed(name: string, all: readonly string[]): readonly string[] {
  const value = process.env[name];
  return value === undefined || value === '' ? all : value.split(',').map((item) => item.trim());
}

/** The configurations to run (`BENCH_OVERLOAD_CONFIGS`), in the table's order. */
const SELECTED: readonly ConfigName[] = ((selected) => CONFIGS.filter((config) => selected.includes(config)))(
  listed('BENCH_OVERLOAD_CONFIGS', CONFIGS),
);

/** A child process spoken to over IPC. */
interface Child {
  request<T>(message: unknown, key: string): Promise<T>;
  stop(): Promise<void>;
}

/** Pin the server and the generator to CPUs of their own (`BENCH_OVERLOAD_PIN=1`, when `taskset` exists). */
const pinned = process.env['BENCH_OVERLOAD_PIN'] === '1' && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

async function startChild(script: string, cpu: number): Promise<{ child: Child; first: Record<string, unknown> }> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const node = [process.execPath, '--import', 'tsx', path];
  const [command, ...args] = pinned ? ['taskset', '-c', String(cpu), ...node] : node;
  const proc: ChildProcess = spawn(command as string, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
    proc.once('message', (message) => resolve(message as Record<string, unknown>));
    proc.once('exit', (code) => reject(new Error(`bench: ${script} exited with ${code}`)));
  });
  const child: Child = {
    request: <T>(message: unknown, key: string) =>
      new Promise<T>((resolve) => {
        const onMessage = (reply: Record<string, unknown>) => {
          if (!(key in reply)) return;
          proc.off('message', onMessage);
          resolve(reply[key] as T);
        };
        proc.on('message', onMessage);
        proc.send(message as object);
      }),
    stop: async () => {
      if (proc.connected) proc.send({ stop: true });
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return { child, first };
}

/** The `p`-quantile of `values` (the upper one of two middles for p = 0.5); NaN when empty. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

/** The median of `values`, undefined when empty (the repeats are 3 by default: an odd count). */
function median(values: readonly number[]): number | undefined {
  const middle = percentile(values, 0.5);
  return Number.isNaN(middle) ? undefined : middle;
}

interface Point {
  readonly goodputPerS: number;
  readonly p99: number;
}

/** One chart: the limit of an adaptive configuration over time, and the downstream's capacity. */
function chart(config: ConfigName, trace: ReadonlyArray<readonly [number, number, number]>, seconds: number, halves: boolean): string {
  const width = 760;
  const height = 260;
  const left = 50;
  const top = 40;
  const plotW = width - left - 20;
  const plotH = height - top - 40;
  const durationMs = seconds * 1000;
  const high = Math.max(45, ...trace.map(([, limit]) => limit)) * 1.1;
  const x = (ms: number) => (left + (ms / durationMs) * plotW).toFixed(1);
  const y = (value: number) => (top + plotH - (value / high) * plotH).toFixed(1);
  const path = (index: 1 | 2) => trace.map((point, i) => `${i === 0 ? 'M' : 'L'}${x(point[0])} ${y(point[index])}`).join(' ');
  const band = trace.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p[0])} ${y(1.5 * p[2])}`).join(' ') +
    ' ' + [...trace].reverse().map((p) => `L${x(p[0])} ${y(0.5 * p[2])}`).join(' ') + ' Z';
  const ticks: string[] = [];
  for (let value = 0; value <= high; value += 10) {
    ticks.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(value)}" y2="${y(value)}" stroke="#d0d7de"/><text x="${left - 6}" y="${Number(y(value)) + 4}" text-anchor="end">${value}</text>`);
  }
  const step = seconds > 20 ? 10 : 2;
  for (let s = 0; s <= seconds; s += step) ticks.push(`<text x="${x(s * 1000)}" y="${top + plotH + 16}" text-anchor="middle">${s} s</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12" fill="#24292f">
  <title>bench:overload, ${LABELS[config]}: limit over time</title>
  <rect width="100%" height="100%" fill="#ffffff"/>
  <text x="${left}" y="22" font-size="15" font-weight="600">${LABELS[config]}: limit at 2× load${halves ? `, capacity halves at ${seconds / 2} s` : `, ${seconds} s`}</text>
  ${ticks.join('\n  ')}
  <path d="${band}" fill="#2da44e" fill-opacity="0.14"/>
  <path d="${path(2)}" fill="none" stroke="#57606a" stroke-width="1.5" stroke-dasharray="6 4"/>
  <path d="${path(1)}" fill="none" stroke="#1f6feb" stroke-width="1.6"/>
  <text x="${left}" y="${height - 6}">blue: limit · dashed: the downstream's concurrency · green: ±50 % of it</text>
</svg>
`;
}

async function main(): Promise<void> {
  const long = process.argv.includes('--long');
  const pointMs = envInt('BENCH_OVERLOAD_POINT_S', 4) * 1000;
  const warmupMs = envInt('BENCH_OVERLOAD_WARMUP_S', 1) * 1000;
  const repeats = long ? 0 : envInt('BENCH_OVERLOAD_REPEATS', 3);
  const traceS = long ? 60 : process.env['BENCH_OVERLOAD_TRACE_S'] === '0' ? 0 : envInt('BENCH_OVERLOAD_TRACE_S', 12);
  const scale = envInt('BENCH_OVERLOAD_SCALE', 1);
  const servedPerS = SERVED_PER_S / scale;
  const { child: server, first } = await startChild('./overload-server.ts', 0);
  const { child: load } = await startChild('./overload-load.ts', 1);
  const port = first['port'] as number;
  console.log(
    `bench:overload: ${repeats} repeats of ${pointMs / 1000} s (+${warmupMs / 1000} s warm-up) per point; scale ${scale} ` +
      `(capacity ${servedPerS} calls/s at ${20 * scale} ms, deadline ${500 * scale} ms); pinned to CPUs: ${pinned}`,
  );
  const runPoint = async (config: ConfigName, rate: number, durationMs: number, halveAtMs?: number): Promise<PointResult> => {
    const command: ServerCommand =
      halveAtMs === undefined
        ? { configure: config, capacity: CAPACITY, scale }
        : { configure: config, capacity: CAPACITY, scale, halveAtMs: halveAtMs + warmupMs };
    await server.request(command, 'ready');
    return load.request<PointResult>({ run: { port, rate, warmupMs, durationMs, deadlineMs: 500 * scale } }, 'result');
  };
  try {
    const results = new Map<string, Point[]>();
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const loadFactor of LOADS) {
        for (const config of SELECTED) {
          const result = await runPoint(config, loadFactor * servedPerS, pointMs);
          const key = `${config}@${loadFactor}`;
          const point = { goodputPerS: (result.goodput * 1000) / pointMs, p99: percentile(result.latencies, 0.99) };
          results.set(key, [...(results.get(key) ?? []), point]);
          process.stderr.write(`  repeat ${repeat + 1} ${loadFactor}× ${config}: ${Math.round(point.goodputPerS)}/s p99 ${point.p99.toFixed(0)} ms (shed ${result.shed}, timed out ${result.timedOut}, errors ${result.errors})\n`);
        }
      }
    }
    const cell = (config: ConfigName, loadFactor: number) => {
      const points = results.get(`${config}@${loadFactor}`) ?? [];
      const goodput = median(points.map((p) => p.goodputPerS)) ?? 0;
      const p99 = median(points.map((p) => p.p99).filter((v) => Number.isFinite(v)));
      return `${Math.round(goodput)} / ${p99 === undefined ? '–' : `${Math.round(p99)} ms`}`;
    };
    if (repeats > 0) {
      console.log(`\n| config | ${LOADS.map((l) => `${l}× goodput/s / p99`).join(' | ')} |`);
      console.log(`|---|${LOADS.map(() => '---').join('|')}|`);
      for (const config of SELECTED) console.log(`| ${LABELS[config]} | ${LOADS.map((l) => cell(config, l)).join(' | ')} |`);
    }

    const directory = fileURLToPath(new URL('../docs/images/', import.meta.url));
    mkdirSync(directory, { recursive: true });
    // The creep run (--long) keeps the capacity: what it asks is whether the limit stays put.
    const halveAtMs = long ? undefined : (traceS * 1000) / 2;
    const endMs = traceS * 1000;
    if (traceS > 0) console.log(`\nlimit traces: 2× load for ${traceS} s${halveAtMs === undefined ? '' : `, capacity halves at ${halveAtMs / 1000} s`}`);
    for (const config of traceS > 0 ? ADAPTIVE.filter((name) => SELECTED.includes(name)) : []) {
      const result = await runPoint(config, 2 * servedPerS, endMs, halveAtMs);
      const raw = await server.request<Array<[number, number, number]>>({ trace: true }, 'trace');
      const trace = raw.filter(([ms]) => ms >= warmupMs).map(([ms, limit, capacity]) => [ms - warmupMs, limit, capacity] as const);
      const before = trace.filter(([ms]) => ms >= 2_000 && ms < (halveAtMs ?? endMs)).map(([, limit]) => limit);
      const after = halveAtMs === undefined ? [] : trace.filter(([ms]) => ms >= halveAtMs + 5_000).map(([, limit]) => limit);
      const range = (values: number[]) => (values.length === 0 ? '–' : `${Math.min(...values)}–${Math.max(...values)} (median ${median(values)})`);
      console.log(`${LABELS[config]}: goodput ${Math.round((result.goodput * 1000) / endMs)}/s; limit from 2 s ${halveAtMs === undefined ? 'to the end' : 'to the halving'} ${range(before)} (concurrency ${CAPACITY})${halveAtMs === undefined ? '' : `; from 5 s after it ${range(after)} (concurrency ${CAPACITY / 2})`}`);
      const file = `${directory}overload-${config}${long ? '-60s' : ''}.svg`;
      writeFileSync(file, chart(config, trace, traceS, halveAtMs !== undefined));
    }
  } finally {
    await load.stop();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:overload failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
