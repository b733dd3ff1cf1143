/**
 * Protecting a BullMQ processor with bulwark policies, for teams already on BullMQ (the recipe of
 * docs/queue.md, which shows the part between the marker comments word for word).
 *
 * - The payment service is called through one pipeline, a CircuitBreaker around a Timeout, shared
 *   by every processor that calls it, so that the breaker sees every call.
 * - While the breaker is open, the processor does not burn the job's attempts: it rate-limits the
 *   BullMQ worker for the breaker's `retryAfterMs` and throws `Worker.RateLimitError()`, which puts
 *   the job back in the wait list untried.
 * - Here the payment service fails its first 3 calls: the breaker opens, the worker waits, the
 *   breaker's probe succeeds, and every charge completes; the service never sees a call while the
 *   breaker is open.
 *
 * Needs Redis at `REDIS_URL` (default `redis://127.0.0.1:6379`) and `bullmq` installed.
 * Run it: `npx tsx examples/bullmq-processor.ts`
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { bus, type BulwarkEventMap } from 'bulwark';
// ---- docs/queue.md BullMQ recipe: begin ----
import { Worker, type WorkerOptions } from 'bullmq';
import { CircuitBreaker, CircuitOpenError, Timeout, compose, type Pipeline } from 'bulwark';

interface Charge {
  readonly orderId: string;
  readonly cents: number;
}

interface Receipt {
  readonly receiptId: string;
}

/** The payment service's policies: create one and share it across every processor that calls the service. */
export function paymentPolicies(recoveryTimeoutMs = 30_000): Pipeline {
  return compose(
    new CircuitBreaker({ name: 'payments', failureThreshold: 3, recoveryTimeoutMs }),
    new Timeout({ timeoutMs: 2_000 }),
  );
}

/** A BullMQ worker whose processor calls the payment service through `payments`. */
export function chargesWorker(
  payments: Pipeline,
  chargeCard: (charge: Charge, signal: AbortSignal) => Promise<Receipt>,
  options: WorkerOptions,
): Worker<Charge, Receipt> {
  const worker: Worker<Charge, Receipt> = new Worker<Charge, Receipt>(
    'charges',
    async (job) => {
      try {
        return await payments.execute(({ signal }) => chargeCard(job.data, signal));
      } catch (error) {
        if (error instanceof CircuitOpenError) {
          // Don't burn the job's attempts while the service is down: pause this worker instead.
          await worker.rateLimit(Number.isFinite(error.retryAfterMs) ? error.retryAfterMs : 30_000);
          throw Worker.RateLimitError();
        }
        throw error;
      }
    },
    options,
  );
  return worker;
}
// ---- docs/queue.md BullMQ recipe: end ----

export interface BullmqProcessorResult {
  /** Charges completed, of the 5 added. */
  readonly completed: number;
  /** Charges that failed for good. */
  readonly failed: number;
  /** Calls that reached the payment service: 3 failures, then one success per charge. */
  readonly serviceCalls: number;
  /** Calls the open breaker refused (each rate-limited the worker, the job put back untried). */
  readonly refused: number;
  /** Tries BullMQ counted per charge, sorted: the failed calls count, the rate-limited ones do not. */
  readonly attemptsMade: readonly number[];
  /** Keys under the example's prefix after its cleanup. */
  readonly keysLeft: number;
}

export async function main(url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'): Promise<BullmqProcessorResult> {
  const prefix = `bulwark-example-${randomBytes(4).toString('hex')}`;
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue<Charge, Receipt>('charges', { connection, prefix });
  let serviceCalls = 0;
  const chargeCard = async (charge: Charge, signal: AbortSignal): Promise<Receipt> => {
    signal.throwIfAborted();
    serviceCalls++;
    if (serviceCalls <= 3) throw new Error(`payment service unavailable (order ${charge.orderId})`);
    return { receiptId: `receipt-${charge.orderId}` };
  };
  let refused = 0;
  const onRejected = (event: BulwarkEventMap['circuitBreaker:rejected']): void => {
    if (event.patternName === 'payments') refused++;
  };
  bus.on('circuitBreaker:rejected', onRejected);
  const worker = chargesWorker(paymentPolicies(200), chargeCard, { connection: workerConnection, prefix, concurrency: 1 });
  try {
    let completed = 0;
    let failed = 0;
    const settled = new Promise<void>((resolve) => {
      const settle = (): void => {
        if (completed + failed === 5) resolve();
      };
      worker.on('completed', () => {
        completed++;
        settle();
      });
      worker.on('failed', (job) => {
        if (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1)) failed++;
        settle();
      });
    });
    const jobs = await queue.addBulk(
      Array.from({ length: 5 }, (_, i) => ({
        name: 'charge',
        data: { orderId: `order-${i + 1}`, cents: 1_000 * (i + 1) },
        opts: { attempts: 3, backoff: { type: 'fixed', delay: 20 } },
      })),
    );
    await settled;
    const attemptsMade = await Promise.all(jobs.map(async (job) => (await queue.getJob(job.id as string))?.attemptsMade ?? -1));
    return { completed, failed, serviceCalls, refused, attemptsMade: attemptsMade.sort(), keysLeft: await cleanUp(queue, connection, prefix) };
  } finally {
    bus.off('circuitBreaker:rejected', onRejected);
    await worker.close();
    await queue.close();
    workerConnection.disconnect();
    connection.disconnect();
  }
}

/** Deletes the queue and returns how many of the example's keys are left. */
async function cleanUp(queue: Queue, redis: Redis, prefix: string): Promise<number> {
  await queue.obliterate({ force: true });
  const [, keys] = await redis.scan('0', 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
  return keys.length;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await main());
}
