/**
 * bulwark demo — `npm run demo`, in memory, no Redis.
 *
 * A simulated inventory service goes through four phases: healthy, a slow burst, an error burst
 * and recovery. The application calls it through
 *
 *     compose(new Fallback(...), new Retry(...), new Timeout(...))
 *
 * (first = outermost): each try gets 40 ms, timed-out and 503 tries are retried up to twice with
 * jittered backoff, each call has a 150 ms deadline budget for all of that, and when the Retry
 * gives up the caller gets the last known stock level instead of an error. Every event of every policy is printed live from the global `bus`, all output goes
 * through pino (`setLogger` hands bulwark the same logger), and a summary table ends the run.
 *
 * Every call passes an AbortSignal: one client hangs up mid-call and sees its own reason (no
 * fallback hides a caller's abort), and Ctrl-C aborts every call in flight.
 */
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import {
  Fallback,
  OperationTimeoutError,
  Retry,
  Timeout,
  bus,
  compose,
  setLogger,
  type BulwarkEventMap,
  type ExecutionContext,
} from 'bulwark';

// ─── A deterministic source of randomness, so that every run tells the same story ──────────────

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ─── The flaky downstream ──────────────────────────────────────────────────────────────────────

/** What the inventory service answers. */
export interface Stock {
  readonly sku: string;
  readonly units: number | null;
  /** True when the value is the last known one, served by the Fallback. */
  readonly stale: boolean;
}

/** A 503 from the inventory service. */
export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';
}

/** One phase of the service's day. */
export interface Phase {
  readonly name: string;
  readonly calls: number;
  /** Share of requests that take 80–140 ms instead of 5–15 ms. */
  readonly slowRate: number;
  /** Share of (fast) requests that fail with a 503. */
  readonly errorRate: number;
  readonly description: string;
}

export const PHASES: readonly Phase[] = [
  { name: 'healthy', calls: 10, slowRate: 0, errorRate: 0, description: 'answers in 5–15 ms' },
  { name: 'slow burst', calls: 10, slowRate: 0.6, errorRate: 0, description: '60 % of requests take 80–140 ms' },
  { name: 'error burst', calls: 10, slowRate: 0, errorRate: 0.6, description: '60 % of requests fail with a 503' },
  { name: 'recovery', calls: 10, slowRate: 0.05, errorRate: 0.05, description: 'healthy again, a few stragglers' },
];

/** Deadline budget of each call, for the whole pipeline (all tries and backoff sleeps). */
const CALL_BUDGET_MS = 150;

/** The SKU of a report that is always slow; its client hangs up after 25 ms. */
const BULK_EXPORT = 'bulk-export';

/** The simulated service: latency and failures depend on the current phase; honours `signal`. */
class FlakyInventoryService {
  phase: Phase = PHASES[0] as Phase;
  requests = 0;
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  lookup(sku: string, signal: AbortSignal): Promise<Stock> {
    this.requests++;
    // Three rolls per request, always, so that the sequence stays the same from run to run.
    const slowRoll = this.#random();
    const errorRoll = this.#random();
    const latencyRoll = this.#random();
    const slow = sku === BULK_EXPORT || slowRoll < this.phase.slowRate;
    const fails = !slow && errorRoll < this.phase.errorRate;
    const latencyMs = slow ? 80 + latencyRoll * 60 : 5 + latencyRoll * 10;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        if (fails) reject(new ServiceUnavailableError('inventory: 503 Service Unavailable'));
        else resolve({ sku, units: unitsOf(sku), stale: false });
      }, latencyMs);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function unitsOf(sku: string): number {
  let units = 0;
  for (const char of sku) units = (units * 31 + char.charCodeAt(0)) % 97;
  return units;
}

// ─── Output: everything through pino, formatted as one compact line per record ─────────────────

type Line = { level: number; msg?: string; err?: { type?: string; message?: string }; event?: string };

/** A pino destination that prints `+  123 ms  message` lines instead of JSON. */
function compactDestination(startedAt: number, write: (text: string) => void) {
  return {
    write(json: string): void {
      const record = JSON.parse(json) as Line;
      const elapsed = `+${String(Math.round(performance.now() - startedAt)).padStart(5)} ms`;
      const level = record.level >= 50 ? 'ERROR ' : record.level >= 40 ? 'WARN  ' : '';
      const err = record.err ? ` (${record.err.type ?? 'Error'}: ${record.err.message ?? ''}; event ${record.event ?? '?'})` : '';
      write(`${elapsed} ${level}${record.msg ?? ''}${err}\n`);
    },
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.name : String(error);
}

/** One line per bus event. */
function describeEvent(event: BulwarkEventMap[keyof BulwarkEventMap]): string {
  const who = event.patternName.padEnd(19);
  switch (event.patternType === 'retry' || event.patternType === 'circuitBreaker' ? `${event.patternType}:${event.type}` : event.type) {
    case 'retry:retry': {
      const e = event as BulwarkEventMap['retry:retry'];
      return `↻ retry     ${who} try ${e.attempt} failed (${describeError(e.error)}), next try in ${Math.round(e.delayMs)} ms`;
    }
    case 'retry:success': {
      const e = event as BulwarkEventMap['retry:success'];
      return `✓ success   ${who} after ${e.attempts} ${e.attempts === 1 ? 'try' : 'tries'}`;
    }
    case 'retry:exhausted': {
      const e = event as BulwarkEventMap['retry:exhausted'];
      return `✗ exhausted ${who} gave up after ${e.attempts} tries (${e.reason}): ${describeError(e.error)}`;
    }
    case 'timeout': {
      const e = event as BulwarkEventMap['timeout:timeout'];
      return `⏱ timeout   ${who} try took longer than ${e.timeoutMs} ms (${e.trigger})`;
    }
    case 'fallback': {
      const e = event as BulwarkEventMap['fallback:fallback'];
      return `↩ fallback  ${who} replaced ${describeError(e.error)} with the last known value`;
    }
    default:
      return `• ${event.type.padEnd(9)} ${who}`;
  }
}

// ─── The summary ───────────────────────────────────────────────────────────────────────────────

/** What the run counted. */
export interface DemoSummary {
  readonly calls: number;
  readonly succeededFirstTry: number;
  readonly succeededAfterRetry: number;
  readonly fellBack: number;
  readonly rejected: number;
  readonly timeouts: number;
  readonly retries: number;
  readonly exhausted: number;
  readonly requests: number;
  readonly durationMs: number;
}

function table(rows: ReadonlyArray<readonly [string, number, string]>): string {
  const header = ['', 'count', 'from'] as const;
  const widths = [0, 1, 2].map((column) =>
    Math.max(String(header[column]).length, ...rows.map((row) => String(row[column]).length)),
  ) as [number, number, number];
  const line = (left: string, middle: string, right: string): string =>
    left + widths.map((width) => '─'.repeat(width + 2)).join(middle) + right;
  const cells = (row: readonly [string, number | string, string]): string =>
    `│ ${row[0].padEnd(widths[0])} │ ${String(row[1]).padStart(widths[1])} │ ${row[2].padEnd(widths[2])} │`;
  return [line('┌', '┬', '┐'), cells(header), line('├', '┼', '┤'), ...rows.map(cells), line('└', '┴', '┘')].join('\n');
}

// ─── The run ───────────────────────────────────────────────────────────────────────────────────

export interface DemoOptions {
  /** Where output goes. @defaultValue process.stdout */
  readonly write?: (text: string) => void;
  /** Seed of the simulated service and of the jitter. @defaultValue 7 */
  readonly seed?: number;
}

export async function main(options: DemoOptions = {}): Promise<DemoSummary> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const random = seededRandom(options.seed ?? 7);
  const startedAt = performance.now();
  const log = pino({ base: null, timestamp: false }, compactDestination(startedAt, write));
  setLogger(log.child({ lib: 'bulwark' }));

  const service = new FlakyInventoryService(random);
  const lastKnown = new Map<string, Stock>();

  // First = outermost: Fallback ← Retry ← Timeout ← the service.
  const timeout = new Timeout({ name: 'inventory-timeout', timeoutMs: 40 });
  const retry = new Retry({
    name: 'inventory-retry',
    maxAttempts: 3,
    initialDelayMs: 20,
    maxDelayMs: 100,
    random,
    exceptions: { handle: [ServiceUnavailableError, OperationTimeoutError] },
  });
  const fallback = new Fallback<Stock>({
    name: 'inventory-fallback',
    // ctx.key is the `key` passed to execute: here the SKU.
    fallback: (_error, ctx) => {
      const known = ctx.key === undefined ? undefined : lastKnown.get(ctx.key);
      return { sku: ctx.key ?? '?', units: known?.units ?? null, stale: true };
    },
  });
  const inventory = compose(fallback, retry, timeout);

  // Every event of every instance, live.
  const counts = new Map<string, number>();
  const onEvent = (type: keyof BulwarkEventMap, event: BulwarkEventMap[keyof BulwarkEventMap]): void => {
    counts.set(type, (counts.get(type) ?? 0) + 1);
    log.info(describeEvent(event));
  };
  bus.on('*', onEvent);
  // A buggy metrics listener: it throws once; bulwark logs that and the call is unaffected.
  let metricsBroken = true;
  const buggyMetrics = (): void => {
    if (!metricsBroken) return;
    metricsBroken = false;
    throw new Error('metrics backend unreachable');
  };
  bus.on('fallback:fallback', buggyMetrics);

  // Ctrl-C aborts every call in flight; each caller then sees the abort reason.
  const run = new AbortController();
  const onSigint = (): void => run.abort(new Error('interrupted (Ctrl-C)'));
  process.once('SIGINT', onSigint);

  const outcomes = { fresh: 0, stale: 0, rejected: 0 };
  let callNumber = 0;

  const call = async (sku: string, signal: AbortSignal): Promise<void> => {
    const number = ++callNumber;
    const begun = performance.now();
    try {
      const stock = await inventory.execute(
        ({ signal: callSignal }: ExecutionContext) => service.lookup(sku, callSignal),
        { signal, key: sku, timeoutMs: CALL_BUDGET_MS },
      );
      if (stock.stale) {
        outcomes.stale++;
        log.info(`  call ${number} (${sku}): caller got the last known value, ${stock.units ?? 'unknown'} units (stale)`);
      } else {
        outcomes.fresh++;
        lastKnown.set(sku, stock);
      }
    } catch (error) {
      outcomes.rejected++;
      const ms = Math.round(performance.now() - begun);
      log.warn(`  call ${number} (${sku}): caller rejected after ${ms} ms with ${describeError(error)}: ${(error as Error).message}`);
    }
  };

  log.info(`Each call: up to 3 tries of 40 ms each, all within a ${CALL_BUDGET_MS} ms budget, else the last known value.`);
  try {
    for (const phase of PHASES) {
      if (run.signal.aborted) break;
      service.phase = phase;
      log.info(`── ${phase.name}: ${phase.description} ──`);
      for (let i = 0; i < phase.calls && !run.signal.aborted; i += 2) {
        const wave = [call(`sku-${(i % 6) + 1}`, run.signal)];
        if (phase.name === 'slow burst' && i === 2) {
          // A client asks for a slow export and hangs up after 25 ms.
          const client = new AbortController();
          const hangUp = setTimeout(() => client.abort(new Error('client disconnected')), 25);
          wave.push(call(BULK_EXPORT, client.signal).finally(() => clearTimeout(hangUp)));
        } else if (i + 1 < phase.calls) {
          wave.push(call(`sku-${((i + 1) % 6) + 1}`, run.signal));
        }
        await Promise.all(wave);
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
    bus.off('*', onEvent);
    bus.off('fallback:fallback', buggyMetrics);
    setLogger();
  }

  const stats = retry.stats();
  const summary: DemoSummary = {
    calls: callNumber,
    succeededFirstTry: stats.succeededWithoutRetry,
    succeededAfterRetry: stats.succeededAfterRetry,
    fellBack: counts.get('fallback:fallback') ?? 0,
    rejected: outcomes.rejected,
    timeouts: counts.get('timeout:timeout') ?? 0,
    retries: stats.retries,
    exhausted: counts.get('retry:exhausted') ?? 0,
    requests: service.requests,
    durationMs: Math.round(performance.now() - startedAt),
  };
  write(
    `\nSummary (${summary.durationMs} ms)\n` +
      table([
        ['calls', summary.calls, 'the demo'],
        ['succeeded at first try', summary.succeededFirstTry, 'retry.stats().succeededWithoutRetry'],
        ['succeeded after retry', summary.succeededAfterRetry, 'retry.stats().succeededAfterRetry'],
        ['fell back (stale value)', summary.fellBack, "'fallback:fallback' events"],
        ['rejected to the caller', summary.rejected, 'the callers (their own abort)'],
        ['timeouts', summary.timeouts, "'timeout:timeout' events"],
        ['retries', summary.retries, `retry.stats().retries (${counts.get('retry:retry') ?? 0} 'retry:retry' events)`],
        ['gave up (exhausted)', summary.exhausted, "'retry:exhausted' events"],
        ['requests to the service', summary.requests, 'the simulated service'],
      ]) +
      '\n',
  );
  return summary;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
