/**
 * `npm run bench:queue`: RedisQueue against BullMQ 6 and bee-queue 2 on the same Redis, end to end.
 *
 * - Throughput: 20,000 no-op jobs added in bulk, then processed by one worker in this process with
 *   concurrency 50; jobs per second from the first add to the last completion.
 * - Latency: jobs added one at a time at a steady 1,000 per second for 3 s, each handler noting the
 *   time from its add to its start; p50 and p99.
 *
 * Rounds alternate the libraries (A B C, C B A, …); the table shows medians of the rounds. Every
 * queue gets a name unique to the run and is deleted afterwards (SCAN + DEL of its keys).
 * @module
 */
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import BeeQueue from 'bee-queue';
import { Redis } from 'ioredis';
import { loadBulwark, bulwarkSourceFromEnv } from './bulwark';
import { deleteKeys, REDIS_URL } from './redis-connection';
import { envInt } from './settings';

const JOBS = envInt('BENCH_QUEUE_JOBS', 20_000);
const CONCURRENCY = 50;
const LATENCY_RATE = 1_000;
const LATENCY_MS = 3_000;
const ROUNDS = envInt('BENCH_QUEUE_ROUNDS', 3);
const RUN = `bench-queue-${process.pid}-${Date.now().toString(36)}`;

/** One library: runs the throughput and the latency measurement on a fresh queue. */
interface Contender {
  readonly name: string;
  throughput(queue: string): Promise<number>;
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

function bulwarkContender(module: Awaited<ReturnType<typeof loadBulwark>>['module']): Contender {
  const redisEntry = module.redis;
  if (redisEntry === undefined) throw new Error('bench: the measured bulwark has no bulwark/redis entry');
  const { RedisQueue } = redisEntry;
  type Queue = InstanceType<typeof RedisQueue>;
  const run = async (queueName: string, body: (queue: Queue) => Promise<void>): Promise<void> => {
    const redis = new Redis(REDIS_URL, { enableOfflineQueue: false, lazyConnect: true });
    await redis.connect();
    const queue = new RedisQueue({ redis, name: queueName, prefix: RUN, removeOnComplete: true, registry: false });
    try {
      await body(queue);
    } finally {
      queue.dispose();
      await deleteKeys(redis, `${RUN}:*`);
      redis.disconnect();
    }
  };
  return {
    name: 'bulwark RedisQueue',
    throughput: async (name) => {
      let jobsPerS = 0;
      await run(name, async (queue) => {
        const finished = countdown(JOBS);
        queue.events.on('completed', finished.tick);
        const started = performance.now();
        for (let i = 0; i < JOBS; i += 1_000) {
          await queue.addBulk(Array.from({ length: Math.min(1_000, JOBS - i) }, (_, j) => ({ type: 'noop', payload: { i: i + j } })));
        }
        const worker = queue.process(() => {}, { concurrency: CONCURRENCY });
        await finished.done;
        jobsPerS = (JOBS * 1_000) / (performance.now() - started);
        await worker.close({ drainMs: 1_000 });
      });
      return jobsPerS;
    },
    latency: async (name) => {
      const latencies: number[] = [];
      await run(name, async (queue) => {
        const count = (LATENCY_RATE * LATENCY_MS) / 1_000;
        const finished = countdown(count);
        const worker = queue.process<{ sentAt: number }>((job) => {
          latencies.push(performance.now() + performance.timeOrigin - job.payload.sentAt);
          finished.tick();
        }, { concurrency: CONCURRENCY });
        await steadyAdds(count, LATENCY_RATE, (sentAt) => queue.add('noop', { sentAt }));
        await finished.done;
        await worker.close({ drainMs: 1_000 });
      });
      return latencies;
    },
  };
}

const bullmq: Contender = {
  name: 'BullMQ 6',
  throughput: async (name) => {
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new BullQueue(name, { connection, prefix: RUN });
    const finished = countdown(JOBS);
    const started = performance.now();
    for (let i = 0; i < JOBS; i += 1_000) {
      await queue.addBulk(Array.from({ length: Math.min(1_000, JOBS - i) }, (_, j) => ({ name: 'noop', data: { i: i + j }, opts: { removeOnComplete: true } })));
    }
    const worker = new BullWorker(name, async () => {}, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix: RUN, concurrency: CONCURRENCY });
    worker.on('completed', finished.tick);
    await finished.done;
    const jobsPerS = (JOBS * 1_000) / (performance.now() - started);
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await deleteKeys(connection, `${RUN}:*`);
    connection.disconnect();
    return jobsPerS;
  },
  latency: async (name) => {
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new BullQueue(name, { connection, prefix: RUN });
    const latencies: number[] = [];
    const count = (LATENCY_RATE * LATENCY_MS) / 1_000;
    const finished = countdown(count);
    const worker = new BullWorker(
      name,
      async (job) => {
        latencies.push(performance.now() + performance.timeOrigin - (job.data as { sentAt: number }).sentAt);
        finished.tick();
      },
      { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix: RUN, concurrency: CONCURRENCY },
    );
    await worker.waitUntilReady();
    await steadyAdds(count, LATENCY_RATE, (sentAt) => queue.add('noop', { sentAt }, { removeOnComplete: true }));
    await finished.done;
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await deleteKeys(connection, `${RUN}:*`);
    connection.disconnect();
    return latencies;
  },
};

const beeQueue: Contender = {
  name: 'bee-queue 2',
  throughput: async (name) => {
    const queue = new BeeQueue(name, { prefix: RUN, redis: redisOptions, removeOnSuccess: true, sendEvents: false });
    await queue.ready();
    const finished = countdown(JOBS);
    const started = performance.now();
    for (let i = 0; i < JOBS; i += 1_000) {
      await queue.saveAll(Array.from({ length: Math.min(1_000, JOBS - i) }, (_, j) => queue.createJob({ i: i + j })));
    }
    queue.process(CONCURRENCY, async () => {
      finished.tick();
    });
    await finished.done;
    const jobsPerS = (JOBS * 1_000) / (performance.now() - started);
    await queue.close();
    await queue.destroy().catch(() => {});
    return jobsPerS;
  },
  latency: async (name) => {
    const queue = new BeeQueue(name, { prefix: RUN, redis: redisOptions, removeOnSuccess: true, sendEvents: false });
    await queue.ready();
    const latencies: number[] = [];
    const count = (LATENCY_RATE * LATENCY_MS) / 1_000;
    const finished = countdown(count);
    queue.process(CONCURRENCY, async (job: { data: { sentAt: number } }) => {
      latencies.push(performance.now() + performance.timeOrigin - job.data.sentAt);
      finished.tick();
    });
    await steadyAdds(count, LATENCY_RATE, (sentAt) => queue.createJob({ sentAt }).save());
    await finished.done;
    await queue.close();
    await queue.destroy().catch(() => {});
    return latencies;
  },
};

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

async function main(): Promise<void> {
  const bulwark = await loadBulwark(bulwarkSourceFromEnv());
  const contenders = [bulwarkContender(bulwark.module), bullmq, beeQueue];
  const results = new Map(contenders.map((c) => [c.name, { jobsPerS: [] as number[], p50: [] as number[], p99: [] as number[] }]));
  for (let round = 0; round < ROUNDS; round++) {
    process.stderr.write(`bench:queue: round ${round + 1}/${ROUNDS}…\n`);
    for (const contender of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      const result = results.get(contender.name) as { jobsPerS: number[]; p50: number[]; p99: number[] };
      result.jobsPerS.push(await contender.throughput(`t${round}-${contender.name.split(' ')[0]}`));
      const latencies = await contender.latency(`l${round}-${contender.name.split(' ')[0]}`);
      result.p50.push(quantile(latencies, 0.5));
      result.p99.push(quantile(latencies, 0.99));
    }
  }
  const lines = [
    `bulwark bench:queue — node ${process.version}; ${ROUNDS} round(s); throughput: ${JOBS.toLocaleString('en-US')} no-op jobs, bulk add then one worker (concurrency ${CONCURRENCY}); latency: ${LATENCY_RATE}/s single adds for ${LATENCY_MS / 1_000} s`,
    `bulwark measured from: ${bulwark.description}`,
    '',
    'library               jobs/s (median)   add→start p50 ms   p99 ms',
  ];
  for (const [name, r] of results) {
    lines.push(`${name.padEnd(22)}${median(r.jobsPerS).toFixed(0).padStart(15)}${median(r.p50).toFixed(2).padStart(19)}${median(r.p99).toFixed(2).padStart(9)}`);
  }
  const ours = results.get(contenders[0]!.name)!;
  const fastestPeer = Math.max(median(results.get(bullmq.name)!.jobsPerS), median(results.get(beeQueue.name)!.jobsPerS));
  const bee = results.get(beeQueue.name)!;
  lines.push('');
  lines.push(`${median(ours.jobsPerS) >= 2 * fastestPeer ? 'PASS' : 'MISS'}  throughput ≥ 2× the faster peer: ${(median(ours.jobsPerS) / fastestPeer).toFixed(2)}×`);
  lines.push(`${median(ours.p50) <= median(bee.p50) ? 'PASS' : 'MISS'}  p50 ≤ bee-queue's: ${median(ours.p50).toFixed(2)} vs ${median(bee.p50).toFixed(2)} ms`);
  lines.push(`${median(ours.p99) <= median(bee.p99) ? 'PASS' : 'MISS'}  p99 ≤ bee-queue's: ${median(ours.p99).toFixed(2)} vs ${median(bee.p99).toFixed(2)} ms`);
  lines.push(`distance to 50,000 jobs/s: ${(50_000 / median(ours.jobsPerS)).toFixed(2)}×`);
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
