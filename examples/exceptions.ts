/**
 * ExceptionConfig: which errors a pattern treats as failures, what the caller receives instead,
 * and who is told.
 *
 * - `handle`: error classes or a predicate (default: every error); `ignore` wins over it.
 * - `transform`: what the caller receives when the pattern gives up on a handled failure.
 * - `onException`: called for each handled failure; not awaited, and an error it throws is logged
 *   through `setLogger`'s logger, never changing the call's outcome.
 *
 * Run it: `npx tsx examples/exceptions.ts`
 */
import { pathToFileURL } from 'node:url';
import { Retry, Timeout, setLogger, type ExceptionContext, type Logger } from 'bulwark';

/** An HTTP error from the catalog API. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A 4xx: retrying cannot help. */
export class ClientError extends HttpError {
  override name = 'ClientError';
}

/** What callers of the catalog receive once bulwark gives up. */
export class CatalogUnavailableError extends Error {
  override name = 'CatalogUnavailableError';
}

/** One `onException` call, flattened. */
export interface Reported {
  readonly pattern: string;
  readonly reason: string;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** What a caller saw. */
export interface Seen {
  readonly name: string;
  readonly message: string;
  readonly cause?: string;
}

export interface ExceptionsResult {
  /** Three 503s: two `callFailed`, then `retryExhausted`; the caller gets the transformed error. */
  readonly serverErrors: { readonly seen: Seen; readonly reported: Reported[]; readonly requests: number };
  /** A 404 (ClientError, ignored): no retry, no report, the caller gets it unchanged. */
  readonly clientError: { readonly seen: Seen; readonly reported: Reported[]; readonly requests: number };
  /** A Timeout whose `transform` turns OperationTimeoutError into the domain error. */
  readonly timeout: { readonly seen: Seen; readonly reported: Reported[] };
  /** An `onException` that throws: logged, the call still returns its value. */
  readonly throwingCallback: { readonly value: string; readonly logged: string[] };
}

function seen(error: unknown): Seen {
  const err = error as Error;
  return err.cause instanceof Error
    ? { name: err.name, message: err.message, cause: `${err.cause.name}: ${err.cause.message}` }
    : { name: err.name, message: err.message };
}

export async function main(): Promise<ExceptionsResult> {
  const reported: Reported[] = [];
  const onException = (ctx: ExceptionContext): void => {
    reported.push({ pattern: `${ctx.patternType}:${ctx.patternName}`, reason: ctx.reason, metadata: ctx.metadata });
  };

  const retry = new Retry({
    name: 'catalog-retry',
    maxAttempts: 3,
    initialDelayMs: 2,
    exceptions: {
      handle: [HttpError],
      ignore: [ClientError],
      transform: (error, ctx) =>
        new CatalogUnavailableError(`catalog unavailable (${ctx.reason}, ${String(ctx.metadata.attempt)} tries)`, {
          cause: error,
        }),
      onException,
    },
  });

  let requests = 0;
  const signal = new AbortController().signal;
  const serverErrors = await retry
    .execute(
      () => {
        requests++;
        throw new HttpError(503, 'catalog: 503 Service Unavailable');
      },
      { signal },
    )
    .then(
      () => {
        throw new Error('expected a rejection');
      },
      (error: unknown) => ({ seen: seen(error), reported: reported.splice(0), requests }),
    );

  requests = 0;
  const clientError = await retry
    .execute(
      () => {
        requests++;
        throw new ClientError(404, 'catalog: 404 no such product');
      },
      { signal },
    )
    .then(
      () => {
        throw new Error('expected a rejection');
      },
      (error: unknown) => ({ seen: seen(error), reported: reported.splice(0), requests }),
    );

  // Timeout's transform applies to its own OperationTimeoutError.
  const timeout = new Timeout({
    name: 'catalog-timeout',
    timeoutMs: 10,
    exceptions: {
      transform: (error) => new CatalogUnavailableError('catalog too slow', { cause: error }),
      onException,
    },
  });
  const timedOut = await timeout
    .execute(
      ({ signal: callSignal }) =>
        new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => resolve('late'), 50);
          callSignal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(callSignal.reason);
          });
        }),
      { signal },
    )
    .then(
      () => {
        throw new Error('expected a rejection');
      },
      (error: unknown) => ({ seen: seen(error), reported: reported.splice(0) }),
    );

  // A throwing onException is logged through setLogger's logger; the call is unaffected.
  const logged: string[] = [];
  const collect = (message?: string): void => void logged.push(message ?? '');
  const logger: Logger = {
    error: (_object, message) => collect(message),
    warn: (_object, message) => collect(message),
    info: () => {},
    debug: () => {},
  };
  setLogger(logger);
  try {
    const buggy = new Retry({
      maxAttempts: 2,
      initialDelayMs: 1,
      exceptions: {
        onException: () => {
          throw new Error('metrics backend down');
        },
      },
    });
    let tries = 0;
    const value = await buggy.execute(
      () => {
        if (++tries === 1) throw new Error('first try fails');
        return 'second try works';
      },
      { signal },
    );
    return { serverErrors, clientError, timeout: timedOut, throwingCallback: { value, logged } };
  } finally {
    setLogger();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.dir(await main(), { depth: null });
}
