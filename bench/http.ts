/**
 * Entry of `npm run bench:http`: end-to-end throughput of an Express 5 route, bare against the same
 * route behind the HTTP guard (`guardMiddleware(createGuard({ rateLimiter, bulkhead }))`, a limit
 * and slots that no load reaches), over real HTTP.
 *
 * Each server runs in a child process of its own (`bench/http-server.ts`), with the bulwark code
 * `bench/bulwark.ts` loads (built like the package by default); the load comes from autocannon in
 * this process. On a machine with two cores or more the servers are pinned to one core and this
 * process (the load generator) to another (`taskset`; the run says when it could not pin), and
 * each connection pipelines several requests, so that the server's core, not the client, is the
 * bottleneck: the core share column shows it (≥ 90 %). The servers are warmed up, then measured
 * in interleaved rounds, one server loaded at a time, each round starting with the next server
 * (bare, guarded; guarded, bare; …), so that the machine's drift hits all alike.
 *
 * Two ratios, each the median over the rounds of that round's ratio:
 * - throughput: guarded req/s ÷ bare req/s (the goal, ≥ 0.97);
 * - server CPU: the bare server's CPU time per request ÷ the guarded server's, read from each
 *   server process (`process.cpuUsage`) around its load. It is the throughput ratio of servers
 *   that each have a core to themselves, and it is what stays steady when other processes take
 *   turns on the machine's cores (req/s then moves with whatever else runs).
 * A second table splits each server's CPU time per request (medians): user and kernel time, the
 * main (JavaScript) thread and the process's other threads (V8's garbage collector and compiler
 * helpers), from the kernel's per-thread scheduler statistics. A CPU profile (`--cpu-prof`) sees
 * only the main thread's JavaScript and native frames: the other threads' time is what it misses.
 * The `waited` column is time the server was ready to run but another process held its core.
 * Every response must be a 200.
 *
 * Environment:
 * - `BENCH_HTTP_ROUNDS` — measured rounds (default 7)
 * - `BENCH_HTTP_DURATION_S` — seconds of load per server and round (default 3; warmup: 2)
 * - `BENCH_HTTP_CONNECTIONS` — concurrent connections (default 50)
 * - `BENCH_HTTP_PIPELINING` — requests in flight per connection (default 4)
 * - `BENCH_HTTP_PIN` — `0`: no pinning to cores
 * - `BENCH_HTTP_BASELINE` — the path of another bulwark checkout (e.g. `git archive` of an older
 *   commit, with a `node_modules` link): adds its guarded server as `baseline`, built the same way,
 *   so that a change is measured against what it changes in the same run
 * - `BENCH_HTTP_FLOOR` — `1`: adds the `floor` server (see `http-server.ts`), the cost of what any
 *   rate-limit middleware adds to a request in Express (a layer, two header fields, one listener),
 *   so that the guard's ratio can be read against what no guard can go below
 * - `BENCH_HTTP_PEER` — `1`: adds the `erl` server, express-rate-limit 8 (MemoryStore, draft-8
 *   header fields) in the guard's place: the peer's end-to-end cost in the same run
 * - `BENCH_HTTP_PARTS` — `1`: adds the `rate-limit` and `bulkhead` servers, the guard with only one
 *   of its two patterns, for where its cost goes
 * - `BENCH_HTTP_NO_HEADERS` — `1`: adds the `no-headers` server, the guard with `headers: false`,
 *   which prices the rate-limit header fields
 * - `BENCH_HTTP_CPU_PROF` — a folder: the servers run with `--cpu-prof` and write their profiles there
 * - `BENCH_BULWARK` — as for `npm run bench`
 * @module
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { median } from './analysis';
import { bulwarkSourceFromEnv, loadBulwark, type BulwarkEntries } from './bulwark';
import type { HttpServerMode, ServerCpu, ServerMessage } from './http-server';
import { envInt } from './settings';

/** The goal: the guarded route keeps at least this share of the bare route's throughput. */
const GOAL_RATIO = 0.97;

const WARMUP_S = 2;

/** A server busy this share of a core (or more) was the bottleneck of its round. */
const SATURATED_CORE_SHARE = 0.9;

/** The core the servers are pinned to, and the core of the load generator (this process). */
const SERVER_CORE = 0;
const CLIENT_CORE = 1;

/** A server in its child process. */
interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** The CPU time the server process has used so far. */
  cpu(): Promise<ServerCpu>;
  stop(): Promise<void>;
}

/** One server of the run: the bare route, or the guarded route with one bulwark's code. */
interface Contender {
  readonly name: string;
  readonly mode: HttpServerMode;
  readonly entries: BulwarkEntries | undefined;
}

/** What one contender did in one round; times per request are in µs. */
interface Measurement {
  readonly rps: number;
  /** Server CPU time (user + system) per request. */
  readonly cpuPerRequest: number;
  readonly userPerRequest: number;
  readonly systemPerRequest: number;
  /** The main thread's on-CPU time per request (NaN where unknown). */
  readonly mainThreadPerRequest: number;
  /** Server CPU time ÷ wall time of the load (1: one core busy throughout). */
  readonly coreShare: number;
  /** Time the server waited for its core ÷ wall time of the load (NaN where unknown). */
  readonly waitShare: number;
  /** The load generator's CPU time ÷ wall time of the load. */
  readonly clientCoreShare: number;
}

/** How the load is generated. */
interface LoadShape {
  readonly connections: number;
  readonly pipelining: number;
}

/**
 * Pins every thread of process `pid` (and the threads it starts later) to `core` with `taskset`.
 * @returns false when that failed (no `taskset`, no such core)
 */
function pinToCore(pid: number, core: number): boolean {
  const result = spawnSync('taskset', ['--all-tasks', '--pid', '--cpu-list', String(core), String(pid)], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

async function startServer(contender: Contender, profileDir: string | undefined): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('./http-server.ts', import.meta.url));
  const execArgv = ['--import', 'tsx'];
  if (profileDir !== undefined) execArgv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${contender.name}-${Date.now()}.cpuprofile`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (contender.entries !== undefined) env['BULWARK_ENTRIES'] = JSON.stringify(contender.entries);
  const child: ChildProcess = fork(script, [contender.mode], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const replies: ((message: ServerMessage) => void)[] = [];
  const port = await new Promise<number>((resolvePort, reject) => {
    child.on('message', (message: ServerMessage) => {
      if (message.port !== undefined) resolvePort(message.port);
      else replies.shift()?.(message);
    });
    child.once('exit', (code) => reject(new Error(`bench: the ${contender.name} server exited with ${code} before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid as number,
    cpu: () =>
      new Promise<ServerCpu>((resolveCpu) => {
        replies.push((message) => resolveCpu(message.cpu as ServerCpu));
        child.send('cpu');
      }),
    stop: async () => {
      if (child.connected) child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Loads `server` for `duration` s; throws unless every response was a 200. */
async function load(name: string, server: ServerProcess, duration: number, shape: LoadShape): Promise<Measurement> {
  const before = await server.cpu();
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const result: Result = await autocannon({ url: server.url, connections: shape.connections, pipelining: shape.pipelining, duration });
  const wallMicros = (performance.now() - started) * 1000;
  const client = process.cpuUsage(clientBefore);
  const after = await server.cpu();
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(`bench: ${name}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx responses`);
  }
  const requests = result.requests.total;
  const user = after.userMicros - before.userMicros;
  const system = after.systemMicros - before.systemMicros;
  return {
    rps: result.requests.average,
    cpuPerRequest: (user + system) / requests,
    userPerRequest: user / requests,
    systemPerRequest: system / requests,
    mainThreadPerRequest: (after.mainThreadMicros - before.mainThreadMicros) / requests,
    coreShare: (user + system) / wallMicros,
    waitShare: (after.waitMicros - before.waitMicros) / wallMicros,
    clientCoreShare: (client.user + client.system) / wallMicros,
  };
}

/** The contenders: bare, guarded, and the optional ones the environment asks for. */
async function contenders(): Promise<{ list: Contender[]; description: string; warnings: string[] }> {
  const source = bulwarkSourceFromEnv();
  const bulwark = await loadBulwark(source);
  const list: Contender[] = [
    { name: 'bare', mode: 'bare', entries: undefined },
    { name: 'guarded', mode: 'guarded', entries: bulwark.entries },
  ];
  const warnings = bulwark.warning === undefined ? [] : [bulwark.warning];
  let description = bulwark.description;
  const baselinePath = process.env['BENCH_HTTP_BASELINE'];
  if (baselinePath !== undefined && baselinePath !== '') {
    const baseline = await loadBulwark(source, pathToFileURL(`${resolve(baselinePath)}/`));
    list.push({ name: 'baseline', mode: 'guarded', entries: baseline.entries });
    if (baseline.warning !== undefined) warnings.push(`baseline: ${baseline.warning}`);
    description += `; baseline: the same from ${resolve(baselinePath)}`;
  }
  if (process.env['BENCH_HTTP_NO_HEADERS'] === '1') list.push({ name: 'no-headers', mode: 'guarded-no-headers', entries: bulwark.entries });
  if (process.env['BENCH_HTTP_FLOOR'] === '1') list.push({ name: 'floor', mode: 'floor', entries: undefined });
  if (process.env['BENCH_HTTP_PEER'] === '1') list.push({ name: 'erl', mode: 'express-rate-limit', entries: undefined });
  if (process.env['BENCH_HTTP_PARTS'] === '1') {
    list.push({ name: 'rate-limit', mode: 'guarded-rate-limit', entries: bulwark.entries });
    list.push({ name: 'bulkhead', mode: 'guarded-bulkhead', entries: bulwark.entries });
  }
  return { list, description, warnings };
}

/**
 * Pins the servers to {@link SERVER_CORE} and this process to {@link CLIENT_CORE}, unless
 * `BENCH_HTTP_PIN=0` or the machine has a single core.
 * @returns how the run was placed, for the report
 */
function placeProcesses(servers: readonly ServerProcess[]): string {
  if (process.env['BENCH_HTTP_PIN'] === '0') return 'not pinned (BENCH_HTTP_PIN=0)';
  if (cpus().length < 2) return 'not pinned (one core)';
  const pinned = servers.every((server) => pinToCore(server.pid, SERVER_CORE)) && pinToCore(process.pid, CLIENT_CORE);
  if (!pinned) {
    process.stderr.write('bench: warning: could not pin the processes to cores (taskset missing?): server and client share the cores\n');
    return 'not pinned (taskset failed)';
  }
  return `servers pinned to core ${SERVER_CORE}, autocannon to core ${CLIENT_CORE}`;
}

/** `values` rotated left by `by` places. */
function rotated<T>(values: readonly T[], by: number): T[] {
  const shift = by % values.length;
  return [...values.slice(shift), ...values.slice(0, shift)];
}

/** `rows` as right-aligned columns under `header`. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, i) => Math.max(title.length, 7, ...rows.map((cells) => (cells[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padStart(widths[i] as number)).join('  ');
  return [line(header), ...rows.map(line)];
}

function percent(share: number): string {
  return Number.isNaN(share) ? '–' : `${(share * 100).toFixed(0)}%`;
}

function micros(value: number): string {
  return Number.isNaN(value) ? '–' : value.toFixed(1);
}

async function main(): Promise<void> {
  const rounds = envInt('BENCH_HTTP_ROUNDS', 7);
  const duration = envInt('BENCH_HTTP_DURATION_S', 3);
  const shape: LoadShape = { connections: envInt('BENCH_HTTP_CONNECTIONS', 50), pipelining: envInt('BENCH_HTTP_PIPELINING', 4) };
  const profileDir = process.env['BENCH_HTTP_CPU_PROF'] || undefined;
  const { list, description, warnings } = await contenders();
  for (const warning of warnings) process.stderr.write(`bench: warning: ${warning}\n`);
  const servers = new Map<string, ServerProcess>();
  try {
    for (const contender of list) servers.set(contender.name, await startServer(contender, profileDir));
    const placement = placeProcesses([...servers.values()]);
    const serverOf = (name: string): ServerProcess => servers.get(name) as ServerProcess;
    for (const contender of list) await load(contender.name, serverOf(contender.name), WARMUP_S, shape);

    const perRound: Map<string, Measurement>[] = [];
    for (let round = 0; round < rounds; round++) {
      process.stderr.write(`bench:http: round ${round + 1}/${rounds}…\n`);
      const measured = new Map<string, Measurement>();
      for (const contender of rotated(list, round)) {
        measured.set(contender.name, await load(contender.name, serverOf(contender.name), duration, shape));
      }
      perRound.push(measured);
    }

    const of = (round: Map<string, Measurement>, name: string): Measurement => round.get(name) as Measurement;
    const guardedNames = list.filter((contender) => contender.mode !== 'bare').map((contender) => contender.name);
    const medianOf = (name: string, pick: (m: Measurement) => number): number => median(perRound.map((round) => pick(of(round, name)))) as number;
    const out: string[] = [
      `bulwark bench:http — node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} ×${cpus().length}; ` +
        `${rounds} round(s) × ${duration} s per server (+${WARMUP_S} s warmup), ${shape.connections} connections × ` +
        `${shape.pipelining} pipelined, autocannon in the parent process; ${placement}`,
      `bulwark measured from: ${description}`,
      'Express 5, `GET /` → res.json({ ok: true }); guarded: app.use(guardMiddleware(createGuard({ rateLimiter: new RateLimiter({ limit: 1e9, ' +
        "windowMs: 60_000, algorithm: 'sliding-window' }), bulkhead: new Bulkhead({ maxInFlight: 1_000 }) }))); each server in its own child process",
      '',
      ...table(
        ['round', ...list.flatMap((c) => [`${c.name} req/s`, 'µs CPU/req', 'core']), 'client', ...guardedNames.map((name) => `${name} ÷ bare`)],
        perRound.map((round, i) => [
          String(i + 1),
          ...list.flatMap((c) => {
            const m = of(round, c.name);
            return [m.rps.toFixed(0), micros(m.cpuPerRequest), percent(m.coreShare)];
          }),
          percent(Math.max(...list.map((c) => of(round, c.name).clientCoreShare))),
          ...guardedNames.map((name) => (of(round, name).rps / of(round, 'bare').rps).toFixed(3)),
        ]),
      ),
      '',
      'Where the server CPU went, µs per request (medians over the rounds); other threads: V8 GC and compiler helpers, which a CPU profile does not see; ' +
        'waited: time the server’s threads were ready to run while another process held their core, summed over its threads, ÷ the load time',
      ...table(
        ['server', 'CPU', 'user', 'kernel', 'main thread', 'other threads', 'waited'],
        list.map((c) => {
          const main = medianOf(c.name, (m) => m.mainThreadPerRequest);
          const other = medianOf(c.name, (m) => m.cpuPerRequest - m.mainThreadPerRequest);
          return [
            c.name,
            micros(medianOf(c.name, (m) => m.cpuPerRequest)),
            micros(medianOf(c.name, (m) => m.userPerRequest)),
            micros(medianOf(c.name, (m) => m.systemPerRequest)),
            micros(main),
            micros(other),
            percent(medianOf(c.name, (m) => m.waitShare)),
          ];
        }),
      ),
      '',
    ];
    const starved = perRound.filter((round) => of(round, 'bare').coreShare < SATURATED_CORE_SHARE).length;
    if (starved > 0) {
      out.push(
        `note: in ${starved} of ${rounds} round(s) the bare server used less than ${SATURATED_CORE_SHARE * 100} % of a core: the client or ` +
          'other processes, not the server, limited those rounds, and their throughput ratio says little about the guard; read the CPU ratio',
      );
    }
    for (const name of guardedNames) {
      const throughput = perRound.map((round) => of(round, name).rps / of(round, 'bare').rps);
      const cpu = perRound.map((round) => of(round, 'bare').cpuPerRequest / of(round, name).cpuPerRequest);
      const list3 = (values: number[]): string => values.map((value) => value.toFixed(3)).join(', ');
      const verdict = (ratio: number): string => (ratio >= GOAL_RATIO ? 'PASS' : 'MISS');
      const tMedian = median(throughput) as number;
      const cMedian = median(cpu) as number;
      out.push(
        `${verdict(tMedian)}  ${name}: throughput ≥ ${GOAL_RATIO}× the bare route  median ${tMedian.toFixed(3)}× (rounds: ${list3(throughput)})`,
        `${verdict(cMedian)}  ${name}: server CPU per request, bare ÷ ${name} ≥ ${GOAL_RATIO}  median ${cMedian.toFixed(3)}× (rounds: ${list3(cpu)})`,
      );
    }
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:http failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
