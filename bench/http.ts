/**
 * Entry of `npm run bench:http`: end-to-end throughput of an Express 5 route, bare against the same
 * route behind the HTTP guard (`guardMiddleware(createGuard({ rateLimiter, bulkhead }))`, a limit
 * and slots that no load reaches), over real HTTP.
 *
 * Each server runs in a child process of its own (`bench/http-server.ts`), with the bulwark code
 * `bench/bulwark.ts` loads (built like the package by default); the load comes from autocannon in
 * this process, so that the server, not the client, is what is measured. Both servers are warmed
 * up, then measured in interleaved rounds (bare, guarded; guarded, bare; …), one server loaded at a
 * time, so that the machine's drift hits both alike. Prints each round's requests/s and the ratio
 * guarded ÷ bare (goal ≥ 0.97), the median of the rounds' ratios; every response must be a 200.
 *
 * Environment:
 * - `BENCH_HTTP_ROUNDS` — measured rounds (default 3)
 * - `BENCH_HTTP_DURATION_S` — seconds of load per server and round (default 5; warmup: 2)
 * - `BENCH_HTTP_CONNECTIONS` — concurrent connections (default 50)
 * - `BENCH_BULWARK` — as for `npm run bench`
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { median } from './analysis';
import { bulwarkSourceFromEnv, loadBulwark, type BulwarkEntries } from './bulwark';
import { envInt } from './settings';

/** The goal: the guarded route keeps at least this share of the bare route's throughput. */
const GOAL_RATIO = 0.97;

const WARMUP_S = 2;

/** The two servers, in the order of the first round. */
const MODES = ['bare', 'guarded'] as const;
type Mode = (typeof MODES)[number];

/** A server in its child process. */
interface ServerProcess {
  readonly url: string;
  stop(): Promise<void>;
}

async function startServer(mode: Mode, entries: BulwarkEntries): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('./http-server.ts', import.meta.url));
  const child: ChildProcess = fork(script, [mode], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BULWARK_ENTRIES: JSON.stringify(entries) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`bench: the ${mode} server exited with ${code} before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      if (child.connected) child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Loads `server` for `duration` s; throws unless every response was a 200. */
async function load(mode: Mode, server: ServerProcess, duration: number, connections: number): Promise<Result> {
  const result = await autocannon({ url: server.url, connections, duration, pipelining: 1 });
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(`bench: ${mode}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx responses`);
  }
  return result;
}

async function main(): Promise<void> {
  const rounds = envInt('BENCH_HTTP_ROUNDS', 3);
  const duration = envInt('BENCH_HTTP_DURATION_S', 5);
  const connections = envInt('BENCH_HTTP_CONNECTIONS', 50);
  const bulwark = await loadBulwark(bulwarkSourceFromEnv());
  if (bulwark.warning !== undefined) process.stderr.write(`bench: warning: ${bulwark.warning}\n`);
  const servers = new Map<Mode, ServerProcess>();
  try {
    for (const mode of MODES) servers.set(mode, await startServer(mode, bulwark.entries));
    const serverOf = (mode: Mode): ServerProcess => servers.get(mode) as ServerProcess;
    for (const mode of MODES) await load(mode, serverOf(mode), WARMUP_S, connections);

    const perRound: Record<Mode, number>[] = [];
    for (let round = 0; round < rounds; round++) {
      process.stderr.write(`bench:http: round ${round + 1}/${rounds}…\n`);
      const order = round % 2 === 0 ? MODES : [...MODES].reverse();
      const rps = {} as Record<Mode, number>;
      for (const mode of order) rps[mode] = (await load(mode, serverOf(mode), duration, connections)).requests.average;
      perRound.push(rps);
    }

    const ratios = perRound.map((rps) => rps.guarded / rps.bare);
    const ratio = median(ratios) as number;
    const out: string[] = [
      `bulwark bench:http — node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} ×${cpus().length}; ` +
        `${rounds} round(s) × ${duration} s per server (+${WARMUP_S} s warmup), ${connections} connections, autocannon in the parent process`,
      `bulwark measured from: ${bulwark.description}`,
      'Express 5, `GET /` → res.json({ ok: true }); guarded: app.use(guardMiddleware(createGuard({ rateLimiter: new RateLimiter({ limit: 1e9, ' +
        "windowMs: 60_000, algorithm: 'sliding-window' }), bulkhead: new Bulkhead({ maxInFlight: 1_000 }) }))); each server in its own child process",
      '',
      'round  bare req/s  guarded req/s  guarded ÷ bare',
      ...perRound.map(
        (rps, i) =>
          `${String(i + 1).padStart(5)}  ${rps.bare.toFixed(0).padStart(10)}  ${rps.guarded.toFixed(0).padStart(13)}  ${(ratios[i] as number).toFixed(3).padStart(14)}`,
      ),
      '',
      `${ratio >= GOAL_RATIO ? 'PASS' : 'MISS'}  guarded route throughput ≥ ${GOAL_RATIO}× the bare route  median ${ratio.toFixed(3)}× (runs: ${ratios.map((r) => r.toFixed(3)).join(', ')})`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:http failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
