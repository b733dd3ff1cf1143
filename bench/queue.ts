/**
 * `npm run bench:queue`: RedisQueue against BullMQ 6 and bee-queue 2 on the same Redis, end to end.
 *
 * - Throughput: 20,000 no-op jobs added in bulk, then processed by one worker in this process with
 *   concurrency 50; jobs per second from the first add to the last completion.
 * - Throughput with 3 worker processes: the same, processed by 3 child processes
 *   (bench/queue-worker-process.ts) of one worker each, concurrency 50, started and connected
 *   before the first add and told to start their workers once every job is added.
 * - Latency: jobs added one at a time at a steady 1,000 per second for 3 s, each handler noting the
 *   time from its add to its start; p50 and p99.
 *
 * Rounds alternate the libraries (A B C, C B A, …); the table shows medians of the rounds. Every
 * queue gets a name unique to the run and is deleted afterwards (SCAN + DEL of its keys).
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import BeeQueue from 'bee-queue';
import { Redis } from 'ioredis';
import { loadBulwark, bulwarkSourceFromEnv, type LoadedBulwark } from './bulwark';
import { deleteKeys, REDIS_URL } from './redis-connection';
import { envInt } from './settings';

const JOBS = envInt('BENCH_QUEUE_JOBS', 20_000);
const CONCURRENCY = 50;
const LATENCY_RATE = 1_000;
const LATENCY_MS = 3_000;
const ROUNDS = envInt('BENCH_QUEUE_ROUNDS', 3);
const WORKER_PROCESSES = 3;
const RUN = `bench-queue-${process.pid}-${Date.now().toString(36)}`;

/** One library: runs each measurement on a fresh queue. */
interface Contender {
  readonly name: string;
  throughput(queue: string): Promise<number>;
  /** Jobs/s with {@link WORKER_PROCESSES} worker processes. */
  processes(queue: string): Promise<number>;
  latency(queue: string): Promise<number[]>;
}

const url = new URL(REDIS_URL);
const redisOptions = { host: url.hostname, port: Number(url.port || 6379) };

/** Resolves once `count` completions were counted by `onDone`'s caller. */
function countdown(count: number): { readonly done: Promise<void>; tick(): void } {
  let left = count;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    done,
    tick: () => {
      if (--left === 0) resolve();
    },
  };
}

/** Adds `count` jobs at `rate` per second through `add`, each carrying its add time. */
async function steadyAdds(count: number, rate: number, add: (sentAt: number) => Promise<unknown>): Promise<void> {
  const start = performance.now();
  const adds: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1_000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    adds.push(add(performance.now() + performance.timeOrigin));
  }
  await Promise.all(adds);
}

/** The `JOBS` no-op jobs' payloads, in batches of 1,000 (each library adds a batch in bulk). */
function batches(): number[][] {
  const all: number[][] = [];
  for (let i = 0; i < JOBS; i += 1_000) all.push(Array.from({ length: Math.min(1_000, JOBS - i) }, (_, j) => i + j));
  return all;
}

/**
 * Starts {@link WORKER_PROCESSES} worker processes of `library` on `queue` and waits until they are
 * connected; then runs `addAll`, tells them to start, and resolves with the jobs per second from
 * the first add to the last completion they report. The children are stopped (and, if one does
 * not exit within 10 s, killed) before it resolves.
 */
async function inWorkerProcesses(library: string, queue: string, addAll: () => Promise<void>, bulwarkRedisEntry = ''): Promise<number> {
  const file = fileURLToPath(new URL('./queue-worker-process.ts', import.meta.url));
  const env = {
    ...process.env,
    BENCH_QUEUE_LIBRARY: library,
    BENCH_QUEUE_NAME: queue,
    BENCH_QUEUE_PREFIX: RUN,
    BENCH_QUEUE_REDIS_URL: REDIS_URL,
    BENCH_QUEUE_CONCURRENCY: String(CONCURRENCY),
    BENCH_QUEUE_BULWARK_REDIS: bulwarkRedisEntry,
  };
  const children: ChildProcess[] = [];
  const completed = new Array<number>(WORKER_PROCESSES).fill(0);
  const finished = countdown(1);
  try {
    await Promise.all(
      Array.from({ length: WORKER_PROCESSES }, (_, index) => {
        const child = fork(file, [], { env, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        children.push(child);
        return new Promise<void>((resolve, reject) => {
          child.once('exit', (code) => reject(new Error(`bench:queue: a ${library} worker process exited early (${code})`)));
          child.on('message', (message: unknown) => {
            if (message === 'ready') return resolve();
            completed[index] = (message as { completed: number }).completed;
            if (completed.reduce((sum, count) => sum + count, 0) >= JOBS) finished.tick();
          });
        });
      }),
    );
    const started = performance.now();
    await addAll();
    for (const child of children) child.send('start');
    await finished.done;
    return (JOBS * 1_000) / (performance.now() - started);
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
  }
}

/** Asks a worker process to close and waits for it to exit; kills it after 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.removeAllListeners('exit');
  const exited = once(child, 'exit').catch(() => {});
  if (child.connected) child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Stops a worker a measurement started. */
type StopWorker = () => Promise<void>;

/**
 * Jobs per second from the first add to the last completion: runs `addAll`, then `startWorker`,
 * whose worker calls `completed` once per completed job, until `JOBS` completed; then stops it.
 */
async function throughputOf(addAll: () => Promise<void>, startWorker: (completed: () => void) => StopWorker): Promise<number> {
  const finished = countdown(JOBS);
  const started = performance.now();
  await addAll();
  const stop = startWorker(finished.tick);
  await finished.done;
  const jobsPerS = (JOBS * 1_000) / (performance.now() - started);
  await stop();
  return jobsPerS;
}

/**
 * Add → start latencies in ms: starts a worker with `startWorker` (its handler passes each job's
 * `sentAt` to `started`), waits for `ready`, adds jobs through `add` at a steady rate, and stops
 * the worker once every job started.
 */
async function latencyOf(
  startWorker: (started: (sentAt: number) => void) => { ready: Promise<unknown>; stop: StopWorker },
  add: (sentAt: number) => Promise<unknown>,
): Promise<number[]> {
  const latencies: number[] = [];
  const count = (LATENCY_RATE * LATENCY_MS) / 1_000;
  const finished = countdown(count);
  const worker = startWorker((sentAt) => {
    latencies.push(performance.now() + performance.timeOrigin - sentAt);
    finished.tick();
  });
  await worker.ready;
  await steadyAdds(count, LATENCY_RATE, add);
  await finished.done;
  await worker.stop();
  return latencies;
}

function bulwarkContender(loaded: LoadedBulwark): Contender {
  const redisEntry = loaded.module.redis;
  if (redisEntry === undefined) throw new Error('bench: the measured bulwark has no bulwark/redis entry');
  const { RedisQueue } = redisEntry;
  type Queue = InstanceType<typeof RedisQueue>;
  const withQueue = async <T>(queueName: string, body: (queue: Queue) => Promise<T>): Promise<T> => {
    const redis = new Redis(REDIS_URL, { enableOfflineQueue: false, lazyConnect: true });
    await redis.connect();
    const queue = new RedisQueue({ redis, name: queueName, prefix: RUN, removeOnComplete: true, registry: false });
    try {
      return await body(queue);
    } finally {
      queue.dispose();
      await deleteKeys(redis, `${RUN}:*`);
      redis.disconnect();
    }
  };
  const addAll = async (queue: Queue): Promise<void> => {
    for (const batch of batches()) await queue.addBulk(batch.map((i) => ({ type: 'noop', payload: { i } })));
  };
  const stopping = (worker: { close(options: { drainMs: number }): Promise<void> }) => () => worker.close({ drainMs: 1_000 });
  return {
    name: 'bulwark RedisQueue',
    throughput: (name) =>
      withQueue(name, (queue) =>
        throughputOf(
          () => addAll(queue),
          (completed) => {
            queue.events.on('completed', completed);
            return stopping(queue.process(() => {}, { concurrency: CONCURRENCY }));
          },
        ),
      ),
    processes: (name) => withQueue(name, (queue) => inWorkerProcesses('bulwark', name, () => addAll(queue), loaded.entries.redis)),
    latency: (name) =>
      withQueue(name, (queue) =>
        latencyOf(
          (started) => ({
            ready: Promise.resolve(),
            stop: stopping(queue.process<{ sentAt: number }>((job) => started(job.payload.sentAt), { concurrency: CONCURRENCY })),
          }),
          (sentAt) => queue.add('noop', { sentAt }),
        ),
      ),
  };
}

/** A BullMQ queue (and its connection) named `name` under the run's prefix, closed and deleted by `body`'s end. */
async function withBullQueue<T>(name: string, body: (queue: BullQueue) => Promise<T>): Promise<T> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new BullQueue(name, { connection, prefix: RUN });
  try {
    return await body(queue);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    await deleteKeys(connection, `${RUN}:*`);
    connection.disconnect();
  }
}

async function addAllBull(queue: BullQueue): Promise<void> {
  for (const batch of batches()) await queue.addBulk(batch.map((i) => ({ name: 'noop', data: { i }, opts: { removeOnComplete: true } })));
}

/** A BullMQ worker on its own connection (BullMQ never closes a connection it was given: `stop` does). */
function bullWorker(name: string, processor: (job: { data: unknown }) => Promise<void>): { worker: BullWorker; stop: StopWorker } {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const worker = new BullWorker(name, processor, { connection, prefix: RUN, concurrency: CONCURRENCY });
  return {
    worker,
    stop: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}

const bullmq: Contender = {
  name: 'BullMQ 6',
  throughput: (name) =>
    withBullQueue(name, (queue) =>
      throughputOf(
        () => addAllBull(queue),
        (completed) => {
          const running = bullWorker(name, async () => {});
          running.worker.on('completed', completed);
          return running.stop;
        },
      ),
    ),
  processes: (name) => withBullQueue(name, (queue) => inWorkerProcesses('bullmq', name, () => addAllBull(queue))),
  latency: (name) =>
    withBullQueue(name, (queue) =>
      latencyOf(
        (started) => {
          const running = bullWorker(name, async (job) => started((job.data as { sentAt: number }).sentAt));
          return { ready: running.worker.waitUntilReady(), stop: running.stop };
        },
        (sentAt) => queue.add('noop', { sentAt }, { removeOnComplete: true }),
      ),
    ),
};

/** A bee-queue queue named `name` under the run's prefix, ready, closed and destroyed by `body`'s end. */
async function withBeeQueue<T>(name: string, body: (queue: BeeQueue) => Promise<T>): Promise<T> {
  const queue = new BeeQueue(name, { prefix: RUN, redis: redisOptions, removeOnSuccess: true, sendEvents: false });
  await queue.ready();
  try {
    return await body(queue);
  } finally {
    await queue.close();
    await queue.destroy().catch(() => {});
  }
}

async function addAllBee(queue: BeeQueue): Promise<void> {
  for (const batch of batches()) await queue.saveAll(batch.map((i) => queue.createJob({ i })));
}

/** bee-queue's worker is the queue itself: closing it (after the measurement) stops it. */
const beeStopsWithItsQueue: StopWorker = async () => {};

const beeQueue: Contender = {
  name: 'bee-queue 2',
  throughput: (name) =>
    withBeeQueue(name, (queue) =>
      throughputOf(
        () => addAllBee(queue),
        (completed) => {
          queue.process(CONCURRENCY, async () => completed());
          return beeStopsWithItsQueue;
        },
      ),
    ),
  processes: (name) => withBeeQueue(name, (queue) => inWorkerProcesses('bee-queue', name, () => addAllBee(queue))),
  latency: (name) =>
    withBeeQueue(name, (queue) =>
      latencyOf(
        (started) => {
          queue.process(CONCURRENCY, async (job: { data: { sentAt: number } }) => started(job.data.sentAt));
          return { ready: Promise.resolve(), stop: beeStopsWithItsQueue };
        },
        (sentAt) => queue.createJob({ sentAt }).save(),
      ),
    ),
};

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** One library's measurements, a value per round. */
interface Results {
  readonly jobsPerS: number[];
  readonly processJobsPerS: number[];
  readonly p50: number[];
  readonly p99: number[];
}

/** `ours` over the faster of `peers` (higher is better), with PASS when it is at least `goal`. */
function throughputLine(row: string, ours: number, peers: readonly [string, number][], goal: number): string {
  const [fasterName, faster] = peers.reduce((best, peer) => (peer[1] > best[1] ? peer : best));
  const each = peers.map(([name, value]) => `${(ours / value).toFixed(2)}× ${name}`).join(', ');
  const verdict = ours >= goal * faster ? 'PASS' : 'MISS';
  return `${verdict}  ${row}: ${(ours / faster).toFixed(2)}× the faster peer (${fasterName}), goal ≥ ${goal}× (${each}); distance to 50,000 jobs/s: ${(50_000 / ours).toFixed(2)}×`;
}

async function main(): Promise<void> {
  const bulwark = await loadBulwark(bulwarkSourceFromEnv());
  const contenders = [bulwarkContender(bulwark), bullmq, beeQueue];
  const results = new Map<string, Results>(contenders.map((c) => [c.name, { jobsPerS: [], processJobsPerS: [], p50: [], p99: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    process.stderr.write(`bench:queue: round ${round + 1}/${ROUNDS}…\n`);
    for (const contender of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      const result = results.get(contender.name) as Results;
      const label = contender.name.split(' ')[0];
      result.jobsPerS.push(await contender.throughput(`t${round}-${label}`));
      result.processJobsPerS.push(await contender.processes(`w${round}-${label}`));
      const latencies = await contender.latency(`l${round}-${label}`);
      result.p50.push(quantile(latencies, 0.5));
      result.p99.push(quantile(latencies, 0.99));
    }
  }
  const lines = [
    `bulwark bench:queue — node ${process.version}; ${ROUNDS} round(s); throughput: ${JOBS.toLocaleString('en-US')} no-op jobs, bulk add then one worker in this process, or ${WORKER_PROCESSES} worker processes (concurrency ${CONCURRENCY} each); latency: ${LATENCY_RATE}/s single adds for ${LATENCY_MS / 1_000} s`,
    `bulwark measured from: ${bulwark.description}`,
    '',
    `library               1 worker jobs/s   ${WORKER_PROCESSES} processes jobs/s   add→start p50 ms   p99 ms   (medians of the rounds)`,
  ];
  for (const [name, r] of results) {
    const cells = [median(r.jobsPerS).toFixed(0).padStart(15), median(r.processJobsPerS).toFixed(0).padStart(20), median(r.p50).toFixed(2).padStart(19), median(r.p99).toFixed(2).padStart(9)];
    lines.push(`${name.padEnd(22)}${cells.join('')}`);
  }
  const ours = results.get(contenders[0]!.name)!;
  const bull = results.get(bullmq.name)!;
  const bee = results.get(beeQueue.name)!;
  const peersOf = (pick: (r: Results) => number[]): [string, number][] => [
    ['BullMQ', median(pick(bull))],
    ['bee-queue', median(pick(bee))],
  ];
  lines.push('');
  lines.push(throughputLine('1 worker', median(ours.jobsPerS), peersOf((r) => r.jobsPerS), 2));
  lines.push(throughputLine(`${WORKER_PROCESSES} worker processes`, median(ours.processJobsPerS), peersOf((r) => r.processJobsPerS), 2));
  for (const [label, pick] of [['p50', (r: Results) => r.p50], ['p99', (r: Results) => r.p99]] as const) {
    const [mine, theirs] = [median(pick(ours)), median(pick(bee))];
    lines.push(`${mine <= theirs ? 'PASS' : 'MISS'}  ${label} ≤ bee-queue's: ${mine.toFixed(2)} vs ${theirs.toFixed(2)} ms (${(mine / theirs).toFixed(2)}×; BullMQ ${median(pick(bull)).toFixed(2)} ms)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  // A last sweep: bee-queue's destroy() leaves its id counter behind.
  const sweeper = new Redis(REDIS_URL);
  await deleteKeys(sweeper, `${RUN}:*`);
  sweeper.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:queue failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
