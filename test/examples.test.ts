/**
 * Runs every program in examples/ and checks what it returns (or, for the demo, prints), so that
 * the examples the docs quote keep working.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { main as adaptiveConcurrency, type AdaptiveConcurrencyResult } from '../examples/adaptive-concurrency';
import { main as backpressure, type BackpressureResult } from '../examples/backpressure';
import { main as bulkhead, type BulkheadResult } from '../examples/bulkhead';
import { main as bullmqProcessor, type BullmqProcessorResult } from '../examples/bullmq-processor';
import { main as cachedRepository, type CachedRepositoryResult } from '../examples/cached-repository';
import { main as circuitBreaker, type CircuitBreakerResult } from '../examples/circuit-breaker';
import { main as deadlineBudget, type DeadlineBudgetResult } from '../examples/deadline-budget';
import { main as decorator, type DecoratorResult } from '../examples/decorator';
import { main as exceptions, type ExceptionsResult } from '../examples/exceptions';
import { main as healthCheck, type HealthCheckResult } from '../examples/health-check';
import { start as startHttpService, type HttpService } from '../examples/http-service/server';
import { main as loadShedder, type LoadShedderResult } from '../examples/load-shedder';
import { main as lockExample, type LockResult } from '../examples/lock';
import { main as metricsExample, type MetricsResult } from '../examples/metrics';
import { main as queueWorker, type QueueWorkerResult } from '../examples/queue-worker';
import { main as quickStart } from '../examples/quick-start';
import { main as rateLimiterMemory, type RateLimiterMemoryResult } from '../examples/rate-limiter-memory';
import { main as rateLimiterRedis, type RateLimiterRedisResult } from '../examples/rate-limiter-redis';
import { main as retryBudget, type RetryBudgetResult } from '../examples/retry-budget';
import { main as timeoutStrategies, type TimeoutStrategiesResult } from '../examples/timeout-strategies';
import { main as wrapFunction, type WrapFunctionResult } from '../examples/wrap-function';
import { connect, keysUnder } from './redis/support';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('examples/quick-start.ts (the README quick start)', () => {
  it('returns values through execute, wrap and @resilient, logging every bus event', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const result = await quickStart();
    expect(result).toEqual({ price: 40, wrapped: 70, decorated: 40, requests: 4 });
    expect(log.mock.calls[0]).toEqual(['retry:retry', expect.stringMatching(/^retry-\d+$/)]);
    expect(log.mock.calls.map(([type]) => type)).toEqual(['retry:retry', 'retry:success', 'retry:success', 'retry:success']);
  });

  it('unsubscribes its bus listener when it ends', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await quickStart();
    log.mockClear();
    await wrapFunction();
    expect(log).not.toHaveBeenCalled();
  });
});

describe('examples/wrap-function.ts', () => {
  let result: WrapFunctionResult;
  beforeAll(async () => {
    result = await wrapFunction();
  });

  it('returns the value of a wrapped function that failed twice, after two retries', () => {
    expect(result.price).toBe(42);
    expect(result.requestsForPrice).toBe(3);
    expect(result.retriedAttempts.slice(0, 2)).toEqual([1, 2]);
  });

  it('gives the caller the last error itself when every try fails', () => {
    expect(result.exhausted).toEqual({
      name: 'UpstreamUnavailableError',
      message: 'quote service unavailable (request 3)',
      requests: 3,
    });
  });

  it('gives the caller its own abort reason without retrying it', () => {
    expect(result.aborted).toEqual({ name: 'Error', message: 'request cancelled by the client', requests: 1 });
  });

  it('counts the three calls in stats()', () => {
    expect(result.stats).toMatchObject({
      succeededWithoutRetry: 0,
      succeededAfterRetry: 1,
      failedWithoutRetry: 1,
      failedAfterRetry: 1,
      retries: 4,
    });
  });
});

describe('examples/decorator.ts', () => {
  let result: DecoratorResult;
  beforeAll(async () => {
    result = await decorator();
  });

  it('retries a decorated method and returns its value', () => {
    expect(result.stock).toBe(42);
    expect(result.requestsForStock).toBe(3);
  });

  it('rejects with OperationTimeoutError after three slow tries while an abandoned request still runs', () => {
    expect(result.timedOut).toMatchObject({ name: 'OperationTimeoutError', code: 'OPERATION_TIMEOUT', requests: 3 });
    expect(result.timedOut.stillRunningWhenRejected).toBeGreaterThanOrEqual(1);
  });

  it("rejects with the caller's own abort reason after a single request", () => {
    expect(result.aborted).toEqual({ name: 'Error', code: undefined, message: 'client disconnected', requests: 1 });
  });

  it('gives each instance its own Retry with the factory form', () => {
    expect(result.perInstance).toMatchObject({ name: 'StockServiceError', requests: 2 });
    expect(result.perInstance.ownRetryStats).toMatchObject({ failedAfterRetry: 1, retries: 1 });
  });
});

describe('examples/deadline-budget.ts', () => {
  let result: DeadlineBudgetResult;
  beforeAll(async () => {
    result = await deadlineBudget();
  });

  it('passes each try a budget that is the earlier of its Timeout and the call deadline', () => {
    expect(result.tries.map((t) => t.attempt)).toEqual([1, 2]);
    const [first, second] = result.tries;
    expect(first?.budgetMs).toBeLessThanOrEqual(100);
    expect(first?.budgetMs).toBeGreaterThan(70);
    expect(second?.budgetMs).toBeLessThanOrEqual(70);
  });

  it("aborts fn's signal with the OperationTimeoutError on every try", () => {
    expect(result.tries.map((t) => t.abortedWith)).toEqual(['OperationTimeoutError', 'OperationTimeoutError']);
  });

  it('ends the call by its budget with a deadline-triggered OperationTimeoutError', () => {
    expect(result.error).toMatchObject({ name: 'OperationTimeoutError', code: 'OPERATION_TIMEOUT', trigger: 'deadline' });
    expect(result.timeoutTriggers).toEqual(['timeout', 'deadline']);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(200);
    expect(result.elapsedMs).toBeLessThan(400);
  });

  it('stops retrying because no backoff sleep fits before the deadline', () => {
    expect(result.exhaustedReason).toBe('deadline');
  });

  it('cuts a 1 s backoff sleep short when the caller aborts', () => {
    expect(result.abortedDuringBackoff.message).toBe('shutting down');
    expect(result.abortedDuringBackoff.elapsedMs).toBeLessThan(500);
  });
});

describe('examples/retry-budget.ts', () => {
  let result: RetryBudgetResult;
  beforeAll(async () => {
    result = await retryBudget();
  });

  it('sends three requests per failing call without a budget', () => {
    expect(result.withoutBudget).toMatchObject({ calls: 20, requests: 60, retries: 40, exhaustedBy: { maxAttempts: 20 } });
  });

  it('lets a shared budget of ratio 0.25 add only 25 % retries across both policies', () => {
    expect(result.withBudget).toMatchObject({
      calls: 20,
      requests: 25,
      retries: 5,
      retriesDeniedByBudget: 20,
      exhaustedBy: { budget: 20 },
    });
    expect(result.tokensLeft).toBe(0);
  });

  it("gives the caller the service's own error, not a wrapper", () => {
    expect(result.withBudget.callerSaw).toBe('ServiceUnavailableError: inventory write: 503 Service Unavailable');
  });
});

describe('examples/timeout-strategies.ts', () => {
  let result: TimeoutStrategiesResult;
  beforeAll(async () => {
    result = await timeoutStrategies();
  });

  it('rejects at the limit with the aggressive strategy while fn runs on', () => {
    expect(result.aggressive.result).toBe('rejected');
    expect(result.aggressive.error).toMatch(/^OperationTimeoutError: Operation timed out after 20 ms/);
    // The caller was rejected before the 60 ms function finished.
    expect(result.aggressive.fnFinishedAfterRejection).toBe(true);
  });

  it('turns the rejection of a cooperative fn into an OperationTimeoutError with a cause', () => {
    expect(result.cooperative.result).toBe('rejected');
    expect(result.cooperative.error).toMatch(/^OperationTimeoutError/);
    expect(result.cooperative.cause).toBe('OperationTimeoutError');
  });

  it('returns the value a cooperative fn still produces after the limit', () => {
    expect(result.cooperativeLateValue).toMatchObject({ result: 'value', value: 'late but kept' });
    expect(result.cooperativeLateValue.elapsedMs).toBeGreaterThanOrEqual(55);
  });

  it("surfaces a caller's abort as its own reason, not as a timeout", () => {
    expect(result.callerAbort).toMatchObject({ result: 'rejected', error: 'Error: client went away', isTimeout: false });
    expect(result.timeoutEvents).toBe(3);
  });
});

describe('examples/exceptions.ts', () => {
  let result: ExceptionsResult;
  beforeAll(async () => {
    result = await exceptions();
  });

  it('reports callFailed for each retried failure and retryExhausted for the last one', () => {
    expect(result.serverErrors.requests).toBe(3);
    expect(result.serverErrors.reported.map((r) => r.reason)).toEqual(['callFailed', 'callFailed', 'retryExhausted']);
    expect(result.serverErrors.reported[2]?.metadata).toEqual({ attempt: 3, exhaustedBy: 'maxAttempts' });
  });

  it('gives the caller what transform made of the last error', () => {
    expect(result.serverErrors.seen).toEqual({
      name: 'CatalogUnavailableError',
      message: 'catalog unavailable (retryExhausted, 3 tries)',
      cause: 'HttpError: catalog: 503 Service Unavailable',
    });
  });

  it('neither retries, reports nor transforms an ignored error', () => {
    expect(result.clientError).toEqual({
      seen: { name: 'ClientError', message: 'catalog: 404 no such product' },
      reported: [],
      requests: 1,
    });
  });

  it("transforms a Timeout's OperationTimeoutError and reports it as timedOut", () => {
    expect(result.timeout.seen).toMatchObject({ name: 'CatalogUnavailableError', message: 'catalog too slow' });
    expect(result.timeout.seen.cause).toMatch(/^OperationTimeoutError/);
    expect(result.timeout.reported[0]).toEqual({
      pattern: 'timeout:catalog-timeout',
      reason: 'timedOut',
      metadata: { timeoutMs: 10, trigger: 'timeout', strategy: 'aggressive' },
    });
  });

  it('logs an onException that throws and still returns the value', () => {
    expect(result.throwingCallback).toEqual({
      value: 'second try works',
      logged: ['bulwark: exceptions.onException failed; the call is unaffected'],
    });
  });
});

describe('examples/circuit-breaker.ts', () => {
  let result: CircuitBreakerResult;
  beforeAll(async () => {
    result = await circuitBreaker();
  });

  it('opens on the failure rate, probes after the recovery timeout, re-opens on a failed probe and closes after two good ones', () => {
    expect(result.transitions).toEqual([
      'closed → open (failureRate)',
      'open → half-open (recoveryTimeout)',
      'half-open → open (probeFailed)',
      'open → half-open (recoveryTimeout)',
      'half-open → closed (probeSucceeded)',
    ]);
  });

  it("passes the service's own errors and the caller's abort reason through unchanged", () => {
    expect(result.outcomes.slice(3, 6)).toEqual([
      { result: 'error', name: 'NotFoundError', message: 'pricing: no price for UNKNOWN' },
      { result: 'error', name: 'Error', message: 'client went away' },
      { result: 'error', name: 'ServiceUnavailableError', message: 'pricing: 503 Service Unavailable' },
    ]);
  });

  it('refuses a call while open with CircuitOpenError, without calling the service', () => {
    const rejected = result.outcomes.filter((o) => o.result === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({
      code: 'CIRCUIT_OPEN',
      reason: 'circuitOpen',
      state: 'open',
      message: 'Circuit "pricing" is open: the call was not made',
    });
    const retryAfterMs = (rejected[0] as { retryAfterMs: number }).retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(100);
    expect(result.outcomes).toHaveLength(14);
    expect(result.requests).toBe(13);
    expect(result.rejectedEvents).toBe(1);
  });

  it('counts the 404 as a success, the aborted call neither way and the failed probe as a failure', () => {
    expect(result.stats).toMatchObject({
      state: 'closed',
      calls: 1,
      rejected: 1,
      totals: { calls: 12, successes: 7, failures: 5, ignored: 1, slowCalls: 0, lateResults: 0 },
    });
  });
});

describe('examples/health-check.ts', () => {
  let result: HealthCheckResult;
  beforeAll(async () => {
    result = await healthCheck();
  });

  it('reports ok with every registered instance, and leaves out registry: false', () => {
    expect(result.healthy.httpStatus).toBe(200);
    expect(result.healthy.report.status).toBe('ok');
    expect(Object.keys(result.healthy.report.instances)).toEqual(['redis', 'payments', 'payments-retry']);
    expect(result.healthy.report.instances['payments']).toMatchObject({
      patternType: 'circuitBreaker',
      state: 'closed',
      healthy: true,
      stats: { state: 'closed', totals: { successes: 1 } },
    });
    expect(result.healthy.report.instances['payments-retry']).toEqual({
      patternType: 'retry',
      healthy: true,
      stats: expect.objectContaining({ succeededWithoutRetry: 1 }),
    });
    expect(typeof result.healthy.report.timestamp).toBe('number');
  });

  it('reports degraded while a breaker is open', () => {
    expect(result.degraded.httpStatus).toBe(200);
    expect(result.degraded.report.status).toBe('degraded');
    expect(result.degraded.report.instances['redis']).toMatchObject({
      state: 'open',
      healthy: false,
      stats: { failures: 2, consecutiveFailures: 2, nextProbeAt: expect.any(Number) },
    });
  });

  it('reports ok again after reset(), without the unregistered instance', () => {
    expect(result.recovered.report.status).toBe('ok');
    expect(Object.keys(result.recovered.report.instances)).toEqual(['redis', 'payments']);
    expect(result.registered).toEqual(['redis', 'payments']);
    expect(result.foundByName).toBe(true);
  });
});

describe('examples/bulkhead.ts', () => {
  let result: BulkheadResult;
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    result = await bulkhead();
  });

  it('runs two queries at once, queues a third and refuses a fourth with queueFull', () => {
    expect(result.burst).toEqual([
      { rows: 'rows of sales' },
      { rows: 'rows of stock' },
      { rows: 'rows of returns' },
      { refused: 'queueFull', code: 'BULKHEAD_REJECTED' },
    ]);
    expect(result.mostAtOnce).toBe(2);
  });

  it('refuses a queued query that waited past maxWaitMs with queueTimeout', () => {
    expect(result.waitedTooLong).toEqual({ refused: 'queueTimeout', code: 'BULKHEAD_REJECTED' });
  });

  it('ends with every slot free and both refusals counted', () => {
    expect(result.stats).toMatchObject({ inFlight: 0, queued: 0, rejected: 2, rejectedByReason: { queueFull: 1, queueTimeout: 1 } });
  });
});

describe('examples/load-shedder.ts', () => {
  let result: LoadShedderResult;
  beforeAll(async () => {
    result = await loadShedder();
  });

  it('sheds each priority at its threshold: low first, critical last', () => {
    expect(result.whileBusy.map((o) => [o.priority, 'response' in o ? 'served' : o.shed])).toEqual([
      ['low', 'capacity'],
      ['normal', 'served'],
      ['normal', 'served'],
      ['normal', 'capacity'],
      ['high', 'served'],
      ['high', 'capacity'],
      ['critical', 'served'],
      ['critical', 'capacity'],
    ]);
  });

  it('gives a shed call its load level and the retryAfterMs hint', () => {
    expect(result.whileBusy[0]).toEqual({ priority: 'low', shed: 'capacity', loadLevel: 'elevated', retryAfterMs: 2_000 });
    expect(result.whileBusy[7]).toMatchObject({ loadLevel: 'critical' });
  });

  it('reports the load level rising and falling back to normal', () => {
    expect(result.levels[0]).toBe('elevated');
    expect(result.levels).toContain('critical');
    expect(result.levels.at(-1)).toBe('normal');
    expect(result.stats).toMatchObject({ loadLevel: 'normal', inFlight: 0, admitted: 10, rejected: 4 });
  });
});

describe('examples/backpressure.ts', () => {
  let result: BackpressureResult;
  beforeAll(async () => {
    result = await backpressure();
  });

  it('hands every job on in order while never buffering more than highWaterMark', () => {
    expect(result.handled).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(result.mostBuffered).toBe(8);
    expect(result.stats).toMatchObject({ pending: 0, paused: false, peakPending: 8 });
  });

  it('pauses at the high mark and resumes at the low one', () => {
    expect(result.pauses.length).toBeGreaterThanOrEqual(2);
    expect(new Set(result.pauses)).toEqual(new Set(['pause at 8', 'resume at 2']));
    expect(result.pauses[0]).toBe('pause at 8');
  });

  it('refuses a call at its deadline while paused, without running it', () => {
    expect(result.refusedCall).toMatchObject({ name: 'BackpressureTimeoutError', reason: 'deadline' });
    // No bound on waitedMs here: on real timers the wait left of the 5 ms budget depends on the time
    // the call took to start waiting, and a timer fires by the event loop's cached time (its wait is
    // measured exactly on a fake clock in test/backpressure/backpressure.test.ts).
    expect(result.stats).toMatchObject({ rejected: 1, rejectedByReason: { deadline: 1 } });
  });
});

describe('examples/adaptive-concurrency.ts', () => {
  let result: AdaptiveConcurrencyResult;
  beforeAll(async () => {
    result = await adaptiveConcurrency();
  });

  it('cuts its limit from 20 to about what the database can take (8)', () => {
    expect(result.initialLimit).toBe(20);
    expect(result.lowestLimit).toBeLessThanOrEqual(10);
    expect(result.finalLimit).toBeGreaterThanOrEqual(5);
    expect(result.finalLimit).toBeLessThanOrEqual(12);
  });

  it('overloads the database less once the limit has settled', () => {
    expect(result.firstHalf.overloaded).toBeGreaterThan(0);
    expect(result.secondHalf.overloaded).toBeLessThan(result.firstHalf.overloaded);
  });

  it('accounts for every query: served, dropped by the database or refused by the limiter', () => {
    const { firstHalf, secondHalf, refusedByLimiter, stats } = result;
    expect(firstHalf.served + secondHalf.served + firstHalf.overloaded + secondHalf.overloaded + refusedByLimiter).toBe(600);
    expect(stats).toMatchObject({ inFlight: 0, queued: 0, rejected: refusedByLimiter, drops: firstHalf.overloaded + secondHalf.overloaded });
  });
});

describe('examples/rate-limiter-memory.ts', () => {
  let result: RateLimiterMemoryResult;
  beforeAll(async () => {
    result = await rateLimiterMemory();
  });

  it("allows alice 3 requests in a second, refuses the fourth with Retry-After, and counts bob apart", () => {
    expect(result.decisions).toEqual([
      { user: 'alice', allowed: true, remaining: 2, retryAfterSeconds: 0 },
      { user: 'alice', allowed: true, remaining: 1, retryAfterSeconds: 0 },
      { user: 'alice', allowed: true, remaining: 0, retryAfterSeconds: 0 },
      { user: 'alice', allowed: false, remaining: 0, retryAfterSeconds: 1 },
      { user: 'bob', allowed: true, remaining: 2, retryAfterSeconds: 0 },
    ]);
  });

  it('refuses a call over the limit with RateLimitError without running it', () => {
    expect(result.refusedCall).toEqual({ code: 'RATE_LIMITED', reason: 'limitReached', ran: false });
    expect(result.stats).toMatchObject({ admitted: 4, rejected: 2, storeErrors: 0 });
  });

  it('spaces calls out in wait mode: the third of 2 per 100 ms waits for the window', () => {
    expect(result.smoothedMs).toBeGreaterThanOrEqual(95);
    expect(result.smoothedMs).toBeLessThan(1_000);
  });
});

describe('examples/metrics.ts', () => {
  let result: MetricsResult;
  beforeAll(async () => {
    result = await metricsExample(inject('redisUrl'));
  }, 60_000);

  it("serves /metrics with the 4 workers' numbers added up: their prom-client counter and bulwark's own series", () => {
    expect(result.ordersDone).toBe(100);
    expect(result.ordersServed).toBe(result.ordersDone);
    expect(result.paymentCallsServed).toEqual({ success: result.ordersDone, failure: result.failuresDone });
    expect(result.closedBreakers).toBe(4);
  });

  it('serves /healthz from the worker that answers', () => {
    expect(result.health).toEqual({ httpStatus: 200, status: 'ok' });
  });

  it('leaves no key behind', () => {
    expect(result.keysLeft).toBe(0);
  });
});

describe('examples/queue-worker.ts', () => {
  let result: QueueWorkerResult;
  beforeAll(async () => {
    result = await queueWorker(inject('redisUrl'));
  });

  it('runs every job once routed by type, the critical one first, retrying the flaky emails', () => {
    expect(result.firstStarted).toBe('urgent-thumbnail');
    expect(result.completed).toEqual({ email: 6, thumbnail: 3 });
    expect(result.retries).toBe(2);
    expect(result.stats).toEqual({ ready: 0, active: 0, dead: 0, completed: 9 });
  });

  it('leaves no key behind', () => {
    expect(result.keysLeft).toBe(0);
  });
});

describe('examples/bullmq-processor.ts (the BullMQ recipe of docs/queue.md)', () => {
  let result: BullmqProcessorResult;
  beforeAll(async () => {
    result = await bullmqProcessor(inject('redisUrl'));
  });

  it('completes every charge: the open breaker rate-limits the worker instead of failing jobs, and the service sees no call meanwhile', () => {
    expect(result).toMatchObject({ completed: 5, failed: 0, serviceCalls: 8 });
    expect(result.refused).toBeGreaterThan(0);
  });

  it('counts the failed calls as tries, and the refused ones not', () => {
    expect(result.attemptsMade).toEqual([1, 1, 2, 2, 2]);
  });

  it('leaves no key behind', () => {
    expect(result.keysLeft).toBe(0);
  });
});

describe('examples/rate-limiter-redis.ts', () => {
  let result: RateLimiterRedisResult;
  beforeAll(async () => {
    result = await rateLimiterRedis(inject('redisUrl'));
  });

  it('shares one limit of 5 between two processes', () => {
    expect(result.decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false, false]);
    expect(result.decisions.map((d) => d.process)).toEqual(['process-1', 'process-2', 'process-1', 'process-2', 'process-1', 'process-2', 'process-1', 'process-2']);
    expect(result.decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0, 0]);
    expect(result.bobAllowed).toBe(true);
  });

  it("keeps alice's count in one key named after the limiter, and leaves no key behind", () => {
    expect(result.keys).toHaveLength(1);
    expect(result.keys[0]).toMatch(/checkout.*alice/);
    expect(result.keysLeft).toBe(0);
  });
});

describe('examples/lock.ts', () => {
  let result: LockResult;
  beforeAll(async () => {
    result = await lockExample(inject('redisUrl'));
  });

  it('refuses the second process while the first holds the lock, then lets it in with the next fence', () => {
    expect(result.attempts).toEqual([
      expect.stringMatching(/^process-2 refused: Lock "invoices-2": key "invoice:42" stayed held by another holder for \d+ ms$/),
      'process-1 finalised invoice 42 with fence 1',
      'process-2 finalised invoice 42 with fence 2',
    ]);
    expect(result.accepted).toEqual(['process-1: 1', 'process-2: 2']);
  });

  it('refuses a write with a stale fence, and leaves no key behind', () => {
    expect(result.refusedStaleWrite).toBe('stale fence 1 < 2');
    expect(result.keysLeft).toBe(0);
  });
});

describe('examples/http-service/server.ts, over real HTTP', () => {
  const limit = 20;
  let service: HttpService;
  let sent = 0;
  beforeAll(async () => {
    service = await startHttpService({ redisUrl: inject('redisUrl'), limit });
  });
  afterAll(async () => {
    await service?.close();
  });

  /** GET `path`, counting the requests the rate limit sees. */
  async function get(path: string): Promise<Response> {
    if (path !== '/healthz') sent++;
    return fetch(`${service.url}${path}`);
  }

  it('answers a product read through Redis: from the catalog first, from the cache after, with the RateLimit fields', async () => {
    const first = await get('/products/1');
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ id: '1', name: 'kettle', price: 199, cached: false });
    expect(first.headers.get('ratelimit-policy')).toBe(`"products";q=${limit};w=60`);
    expect(first.headers.get('ratelimit')).toMatch(new RegExp(`^"products";r=${limit - 1};t=(59|60)$`));
    const second = await get('/products/1');
    expect(await second.json()).toEqual({ id: '1', name: 'kettle', price: 199, cached: true });
    expect((await get('/products/9')).status).toBe(404);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('answers 502 while pricing fails, then 503 without calling the route once the breaker opens', async () => {
    service.pricing.failing = true;
    const callsBefore = service.pricing.calls;
    const failed = [];
    for (let i = 0; i < 5; i++) failed.push((await get('/products/2')).status);
    expect(failed).toEqual([502, 502, 502, 502, 502]);
    const refused = await get('/products/2');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^(9|10)$/);
    expect(await refused.json()).toMatchObject({ status: 503, code: 'CIRCUIT_OPEN' });
    expect(service.pricing.calls - callsBefore).toBe(5);
    expect(service.breaker.state).toBe('open');
    // Health checks are excluded from the guard.
    expect((await get('/healthz')).status).toBe(200);
  });

  it('answers 429 with Retry-After once the client has used its limit', async () => {
    while (sent < limit) expect((await get('/products/3')).status).toBe(503);
    const limited = await get('/products/3');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^(59|60)$/);
    expect(await limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
  });

  it('leaves no key behind when closed', async () => {
    await service.close();
    const redis = await connect(inject('redisUrl'));
    try {
      expect(await keysUnder(redis, service.prefix)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});

describe('examples/cached-repository.ts', () => {
  let result: CachedRepositoryResult;
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    result = await cachedRepository();
  }, 30_000);

  it('reads through the cache while Redis is up: one load per user, then hits', () => {
    expect(result.phases[0]).toMatchObject({ phase: 'warm', redisUp: true, reads: 10, answered: 10, dbQueries: 5, cacheHits: 5, degraded: 0 });
  });

  it('keeps answering every read from the database while Redis is down, in time, with the breaker open', () => {
    const outage = result.phases[1];
    expect(outage).toMatchObject({ phase: 'outage', redisUp: false, reads: 10, answered: 10, dbQueries: 10, cacheHits: 0, breaker: 'open' });
    expect(outage?.degraded).toBe(10);
    // One Redis timeout (200 ms) and one query (20 ms) at most, with room for a loaded machine.
    expect(outage?.slowestReadMs).toBeLessThan(1_000);
  });

  it('uses the cache again once Redis is back: the breaker closes, one reload per user, then hits', () => {
    expect(result.phases[2]).toMatchObject({ phase: 'recovered', redisUp: true, reads: 10, answered: 10, dbQueries: 5, cacheHits: 5, degraded: 0, breaker: 'closed' });
  });
});

describe('examples/demo.ts', () => {
  it('runs to completion in a child process, exits by itself within 15 s and prints the summary', async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile('npx', ['tsx', 'examples/demo.ts'], { cwd: root, timeout: 15_000 }, (error, out, err) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout: out, stderr: err });
      });
    });
    expect(code, stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(stdout).toContain('Summary (');
    expect(stdout).toMatch(/│ calls\s+│\s+40 │/);
    for (const row of ['succeeded at first try', 'succeeded after retry', 'fell back (stale value)', 'timeouts', 'retries']) {
      expect(stdout).toContain(`│ ${row}`);
    }
    expect(stdout).toMatch(/↻ retry\s+inventory-retry/);
    expect(stdout).toMatch(/⏱ timeout\s+inventory-timeout/);
    expect(stdout).toMatch(/↩ fallback\s+inventory-fallback/);
    expect(stdout).toContain('caller rejected after');
    expect(stdout).toContain('client disconnected');
  }, 20_000);
});
