/**
 * Deadline budgets: `execute(fn, { timeoutMs })` gives the whole pipeline one budget.
 *
 * - A Timeout fires at the earlier of its own `timeoutMs` and the caller's deadline
 *   (`OperationTimeoutError.trigger` tells which).
 * - Retry starts no backoff sleep that would end at or after the deadline (`exhausted` event with
 *   `reason: 'deadline'`).
 * - `fn` reads `ctx.deadline` and passes what is left to what it calls (here, a fake Redis
 *   command timeout).
 * - A caller's abort cuts a backoff sleep short at once.
 *
 * Run it: `npx tsx examples/deadline-budget.ts`
 */
import { pathToFileURL } from 'node:url';
import { OperationTimeoutError, Retry, Timeout, compose, sleep, type ExecutionContext, type RetryExhaustedReason } from 'bulwark';

/**
 * A fake Redis GET on a struggling server: slower than any budget below, it ends only when
 * `signal` aborts. A real client would also stop waiting after `commandTimeoutMs` (ioredis'
 * `commandTimeout`); whichever fires first, the call ends by the deadline.
 */
function slowRedisGet(key: string, options: { commandTimeoutMs: number; signal: AbortSignal }): Promise<string> {
  return sleep(10_000, options.signal).then(() => `value of ${key}`);
}

/** What `fn` saw on one try. */
export interface TrySeen {
  readonly attempt: number;
  /** `ctx.deadline - now` when the try started: the budget passed on to Redis. */
  readonly budgetMs: number;
  /** The reason `ctx.signal` aborted with, by class name; undefined when it did not abort. */
  readonly abortedWith: string | undefined;
}

export interface DeadlineBudgetResult {
  /** Each try as `fn` saw it. */
  readonly tries: TrySeen[];
  /** What the caller received. */
  readonly error: { name: string; code: string; trigger: 'timeout' | 'deadline'; timeoutMs: number };
  /** Why the Retry stopped. */
  readonly exhaustedReason: RetryExhaustedReason | undefined;
  /** The `trigger` of each `timeout` event. */
  readonly timeoutTriggers: Array<'timeout' | 'deadline'>;
  /** How long the call took, against its 220 ms budget. */
  readonly elapsedMs: number;
  /** A caller that aborts 20 ms into a 1 s backoff sleep gets its reason at once. */
  readonly abortedDuringBackoff: { message: string; elapsedMs: number };
}

export async function main(): Promise<DeadlineBudgetResult> {
  const retry = new Retry({ name: 'cache-retry', maxAttempts: 5, backoff: 'constant', initialDelayMs: 50, jitter: 'none' });
  const timeout = new Timeout({ name: 'cache-timeout', timeoutMs: 100 });
  // Retry outside Timeout: each try gets its own 100 ms, and the retries share the call's budget.
  const cacheRead = compose(retry, timeout);

  let exhaustedReason: RetryExhaustedReason | undefined;
  const timeoutTriggers: Array<'timeout' | 'deadline'> = [];
  retry.events.on('exhausted', (event) => (exhaustedReason = event.reason));
  timeout.events.on('timeout', (event) => timeoutTriggers.push(event.trigger));

  const tries: TrySeen[] = [];
  const readSession = async (ctx: ExecutionContext): Promise<string> => {
    const budgetMs = Math.max(0, (ctx.deadline ?? Number.POSITIVE_INFINITY) - Date.now());
    const seen = { attempt: ctx.attempt, budgetMs, abortedWith: undefined as string | undefined };
    tries.push(seen);
    ctx.signal.addEventListener('abort', () => (seen.abortedWith = (ctx.signal.reason as Error).name), { once: true });
    return slowRedisGet('session:42', { commandTimeoutMs: budgetMs, signal: ctx.signal });
  };

  // 220 ms for the whole call: try 1 has 100 ms (its Timeout), the 50 ms sleep fits, try 2 has
  // only the 70 ms left (the deadline), and no sleep fits after it.
  const started = Date.now();
  const error = await cacheRead.execute(readSession, { timeoutMs: 220, signal: new AbortController().signal }).then(
    () => {
      throw new Error('expected a rejection');
    },
    (reason: unknown) => {
      if (!(reason instanceof OperationTimeoutError)) throw reason;
      return { name: reason.name, code: reason.code, trigger: reason.trigger, timeoutMs: reason.timeoutMs };
    },
  );
  const elapsedMs = Date.now() - started;

  // A caller abort ends a backoff sleep at once, whatever the delay.
  const patient = compose(new Retry({ maxAttempts: 3, backoff: 'constant', initialDelayMs: 1_000, jitter: 'none' }), timeout);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('shutting down')), 20);
  const abortStarted = Date.now();
  const abortedDuringBackoff = await patient
    .execute(() => Promise.reject(new Error('connection refused')), { signal: controller.signal })
    .then(
      () => {
        throw new Error('expected a rejection');
      },
      (reason: Error) => ({ message: reason.message, elapsedMs: Date.now() - abortStarted }),
    )
    .finally(() => clearTimeout(timer));

  return { tries, error, exhaustedReason, timeoutTriggers, elapsedMs, abortedDuringBackoff };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
