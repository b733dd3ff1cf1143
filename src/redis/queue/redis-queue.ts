/**
 * RedisQueue: a priority job queue on Redis with leases, retries, dead letters and backpressure.
 * @module
 */
import { Backpressure } from '../../backpressure/index';
import { CircuitBreaker } from '../../circuit-breaker/index';
import { unrefTimer } from '../../core/clock';
import { parseOptions } from '../../core/config';
import { ConfigError } from '../../core/errors';
import { EventHub, type EventEmitter } from '../../core/events';
import { getLogger } from '../../core/logger';
import type { Priority } from '../../core/policy';
import { registerInstance, type PatternHealth, type Registrable } from '../../core/registry';
import type { RedisQueueEvents } from './events';
import { backoffOf, DEFAULT_BACKOFF, type QueueCounters, type QueueInternals } from './internals';
import { addedJob, decodeJob, encodeJob, JOB_FIELDS, type AddOptions, type BulkJob, type EncodedJob, type Job } from './job';
import { queueKeys, type QueueKeys } from './keys';
import { REDIS_QUEUE_DEFAULTS, redisQueueOptionsSchema, type JobBackoff, type RedisQueueOptions } from './options';
import { RedisCalls } from './redis-calls';
import type { JobHandler, JobHandlers } from './running';
import { QueueWorker } from './worker';
import type { WorkerOptions } from './options';

/** What {@link RedisQueue.stats} returns: job counts by state, read from Redis. */
export interface RedisQueueStats {
  /** Jobs waiting for a worker. */
  readonly ready: number;
  /** The same, by priority. */
  readonly readyByPriority: Readonly<Record<Priority, number>>;
  /** Jobs due later (a `delayMs`, or a retry's backoff). */
  readonly delayed: number;
  /** Jobs a worker holds a lease on. */
  readonly active: number;
  /** Jobs in the dead-letter set. */
  readonly dead: number;
  /** Completed jobs kept (none with `removeOnComplete`). */
  readonly completed: number;
}

/** Options of {@link RedisQueue.clean}. */
export interface CleanOptions {
  /** Which ended jobs to delete. */
  state: 'completed' | 'dead';
  /** Only those that ended at least this long ago, in ms. */
  olderThanMs: number;
}

/** What a queue says of itself in the registry: this process's counters. */
export interface RedisQueueLocalStats extends QueueCounters {
  /** Workers of this queue in this process. */
  readonly workers: number;
  /** Of them, paused on a Redis failure. */
  readonly pausedWorkers: number;
}

const DELETE_BATCH = 1_000;

/**
 * A priority job queue on plain Redis data structures and Lua, from `bulwark/redis`; every key of
 * a queue shares the hash tag `{name}`, so it works on a Redis Cluster as on a single node.
 *
 * - Producers `add` jobs (priorities `critical` / `high` / `normal` / `low`, FIFO within one;
 *   `delayMs` by Redis server time; idempotent with `jobId`), in bulk with `addBulk` (one round
 *   trip). With `highWaterMark`, producers wait (through a {@link Backpressure}) while the ready
 *   depth is above it.
 * - Workers (`process`) take jobs in batches with a lease, run each through a concurrency limit
 *   and a Timeout, extend leases while jobs run, and acknowledge completions in batches. A job
 *   whose lease runs out returns to ready (`stalled`); a failed job is retried after the Retry
 *   pattern's backoff, then dead-lettered.
 * - Delivery is at least once: a handler may run again after its worker died or lost its lease;
 *   make handlers idempotent (see docs/queue.md).
 * - Every Redis call goes through a {@link CircuitBreaker} and a Timeout (`redisTimeoutMs`).
 *
 * @example
 * ```ts
 * const queue = new RedisQueue({ redis, name: 'emails' });
 * await queue.add('welcome', { to: 'ada@example.com' }, { priority: 'high' });
 * const worker = queue.process({ welcome: async (job, { signal }) => send(job.payload, signal) }, { concurrency: 20 });
 * process.once('SIGTERM', () => void worker.close({ drainMs: 10_000 }));
 * ```
 */
export class RedisQueue implements AsyncDisposable {
  /** The queue's name (its keys' hash tag). */
  readonly name: string;
  /** First part of every key. */
  readonly prefix: string;
  /** `'redisQueue'`: the prefix of its events on the bus. */
  readonly patternType = 'redisQueue';
  /** Typed emitter of the queue's and its workers' events. */
  readonly events: EventEmitter<RedisQueueEvents>;
  /** Largest encoded payload, in bytes. */
  readonly maxPayloadBytes: number;
  /** Producer flow control, when `highWaterMark` is set. */
  readonly backpressure: Backpressure | undefined;
  readonly #keys: QueueKeys;
  /** The add script's keys, made once: every add sends them. */
  readonly #addKeys: readonly string[];
  readonly #internals: QueueInternals;
  readonly #maxAttempts: number;
  readonly #workers = new Set<QueueWorker>();
  readonly #depthPollMs: number;
  /** What the registry holds; `storedStats` lets an exporter read the job counts (bulwark_queue_depth). */
  readonly #registration: Registrable & { storedStats(): Promise<RedisQueueStats> };
  /** Ready depth this process has counted into the backpressure. */
  #mirrored = 0;
  #poll: ReturnType<typeof setTimeout> | undefined;
  #disposed = false;

  /**
   * @param options - see {@link RedisQueueOptions}
   * @throws ConfigError naming every invalid option
   */
  constructor(options: RedisQueueOptions) {
    const resolved = parseOptions(redisQueueOptionsSchema, options, 'RedisQueue options', (input) => {
      const high = input['highWaterMark'];
      const low = input['lowWaterMark'];
      if (typeof low === 'number' && typeof high !== 'number') return [{ path: 'lowWaterMark', message: 'needs highWaterMark' }];
      if (typeof high === 'number' && typeof low === 'number' && low >= high) {
        return [{ path: 'lowWaterMark', message: `must be less than highWaterMark (${high}), got ${low}` }];
      }
      return [];
    });
    this.name = resolved.name;
    this.prefix = resolved.prefix ?? REDIS_QUEUE_DEFAULTS.prefix;
    this.maxPayloadBytes = resolved.maxPayloadBytes ?? REDIS_QUEUE_DEFAULTS.maxPayloadBytes;
    this.#maxAttempts = resolved.maxAttempts ?? REDIS_QUEUE_DEFAULTS.maxAttempts;
    this.#depthPollMs = resolved.depthPollMs ?? REDIS_QUEUE_DEFAULTS.depthPollMs;
    this.#keys = queueKeys(this.prefix, this.name);
    const k = this.#keys;
    this.#addKeys = [k.jobs, k.seq, k.ready, k.delayed, k.wake];
    const hub = new EventHub<RedisQueueEvents>(this.patternType, this.name);
    this.events = hub.emitter;
    const breaker =
      resolved.circuitBreaker ??
      new CircuitBreaker({ name: `${this.name}:redis-breaker`, failureThreshold: 3, recoveryTimeoutMs: 1_000, registry: false });
    const client = resolved.timeSource === 'client';
    this.#internals = {
      name: this.name,
      keys: this.#keys,
      calls: new RedisCalls(resolved.redis, breaker, resolved.redisTimeoutMs ?? REDIS_QUEUE_DEFAULTS.redisTimeoutMs, this.name),
      hub,
      listeners: { added: hub.query('added'), active: hub.query('active'), completed: hub.query('completed') },
      counters: { added: 0, completed: 0, failed: 0, retried: 0, dead: 0, stalled: 0 },
      backoff: backoffOf(DEFAULT_BACKOFF, resolved.backoff as JobBackoff | undefined),
      removeOnComplete: resolved.removeOnComplete ?? false,
      clientTime: client,
      now: client ? () => String(Date.now()) : () => '',
    };
    this.backpressure =
      resolved.highWaterMark === undefined
        ? undefined
        : new Backpressure({
            name: `${this.name}:backpressure`,
            highWaterMark: resolved.highWaterMark,
            ...(resolved.lowWaterMark === undefined ? {} : { lowWaterMark: resolved.lowWaterMark }),
            ...(resolved.maxWaitMs === undefined ? {} : { maxWaitMs: resolved.maxWaitMs }),
            registry: false,
          });
    // The registry holds this object weakly and calls stats() synchronously: it reports this
    // process's counters, never a Redis call (stats() of the queue itself is async).
    const counters = this.#internals.counters;
    this.#registration = {
      name: this.name,
      patternType: this.patternType,
      stats: (): RedisQueueLocalStats => ({ ...counters, workers: this.#workers.size, pausedWorkers: this.#pausedWorkers() }),
      storedStats: () => this.stats(),
      health: (): PatternHealth => {
        const paused = this.#pausedWorkers();
        return paused === 0 ? { healthy: true } : { healthy: false, state: 'paused', detail: `${paused} worker(s) paused on Redis failures` };
      },
    };
    registerInstance(this.#registration, resolved.registry);
  }

  /** The keys of this queue (for inspection and docs; every one shares the hash tag `{name}`). */
  get keys(): QueueKeys {
    return this.#keys;
  }

  /**
   * Adds a job and resolves with it; with a `jobId` that exists, resolves with the existing job
   * and writes nothing. While the queue is above its `highWaterMark`, waits first.
   * @param type - which handler runs it
   * @param payload - anything JSON-serialisable, at most `maxPayloadBytes` encoded
   * @throws ConfigError (as a rejection) naming every invalid option; nothing is written
   * @throws {@link JobPayloadError} (as a rejection) for a payload that cannot be stored; nothing is written
   * @throws BackpressureTimeoutError when the wait outlasts `maxWaitMs` or `options.deadline`;
   *   `options.signal`'s reason when it aborts the wait
   * @throws CircuitOpenError, OperationTimeoutError, {@link QueueConnectionError} or the Redis
   *   error when Redis cannot take it
   */
  add<Payload>(type: string, payload: Payload, options?: AddOptions): Promise<Job<Payload>> {
    let encoded: EncodedJob;
    try {
      encoded = encodeJob(type, payload, options, this.#maxAttempts, this.maxPayloadBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    const write = (): Promise<Job<Payload>> =>
      this.#write([encoded], [payload], [options]).then((jobs) => jobs[0] as Job<Payload>);
    return this.#admitted(write, options?.signal, options?.deadline);
  }

  /**
   * Adds several jobs in one round trip (one script run, so all or none are written), in order.
   * @param jobs - each job's type, payload and options
   * @param options - `signal` and `deadline` of the wait for backpressure
   * @throws as {@link RedisQueue.add}; a bad job fails the whole call before anything is written
   */
  addBulk<Payload>(jobs: readonly BulkJob<Payload>[], options?: Pick<AddOptions, 'signal' | 'deadline'>): Promise<Job<Payload>[]> {
    if (!Array.isArray(jobs)) return Promise.reject(new ConfigError('RedisQueue addBulk', [{ path: 'jobs', message: 'must be an array' }]));
    if (jobs.length === 0) return Promise.resolve([]);
    let encoded: EncodedJob[];
    try {
      encoded = jobs.map((job) => encodeJob(job.type, job.payload, job.options, this.#maxAttempts, this.maxPayloadBytes));
    } catch (error) {
      return Promise.reject(error);
    }
    const write = (): Promise<Job<Payload>[]> =>
      this.#write(
        encoded,
        jobs.map((job) => job.payload),
        jobs.map((job) => job.options),
      ) as Promise<Job<Payload>[]>;
    return this.#admitted(write, options?.signal, options?.deadline);
  }

  /**
   * Resolves when producers may add: at once without `highWaterMark` or while below it,
   * otherwise once the ready depth has fallen to `lowWaterMark`.
   * @param signal - cancels the wait (rejects with its reason)
   * @throws BackpressureTimeoutError when the wait outlasts `maxWaitMs`
   */
  ready(signal?: AbortSignal): Promise<void> {
    if (this.backpressure === undefined) return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
    return this.backpressure.ready(signal);
  }

  /** The job with this id, or undefined. */
  async get(id: string): Promise<Job | undefined> {
    const key = this.#keys.jobs + id;
    const fields = await this.#internals.calls.call(() => this.#internals.calls.redis.hmget(key, ...JOB_FIELDS));
    return decodeJob(id, fields);
  }

  /**
   * Cancels a job that is not active yet (ready or delayed): it is deleted and will never run.
   * @returns true when it was cancelled; false when it is active, ended or unknown
   */
  async cancel(id: string): Promise<boolean> {
    const k = this.#keys;
    const outcome = await this.#internals.calls.script('cancel', [k.jobs, k.ready, k.delayed], ['', id]);
    return outcome === 'cancelled';
  }

  /**
   * Moves a dead job back to ready, its tries counted from zero again.
   * @returns true when it was dead and is ready now
   */
  async retryDead(id: string): Promise<boolean> {
    const k = this.#keys;
    return (await this.#internals.calls.script('retryDead', [k.jobs, k.dead, k.ready, k.wake, k.seq], [this.#internals.now(), id])) === 1;
  }

  /**
   * Deletes completed or dead jobs that ended at least `olderThanMs` ago (by the queue's time
   * source), in batches of 1,000.
   * @returns how many were deleted
   */
  async clean(options: CleanOptions): Promise<number> {
    const { state, olderThanMs } = options ?? ({} as CleanOptions);
    const issues = [];
    if (state !== 'completed' && state !== 'dead') issues.push({ path: 'state', message: `must be 'completed' or 'dead', got ${String(state)}` });
    if (typeof olderThanMs !== 'number' || !(olderThanMs >= 0)) {
      issues.push({ path: 'olderThanMs', message: `must be a number ≥ 0, got ${String(olderThanMs)}` });
    }
    if (issues.length > 0) throw new ConfigError('RedisQueue clean options', issues);
    const set = state === 'completed' ? this.#keys.completed : this.#keys.dead;
    let total = 0;
    for (;;) {
      const deleted = Number(await this.#internals.calls.script('clean', [this.#keys.jobs, set], [this.#internals.now(), olderThanMs, DELETE_BATCH]));
      total += deleted;
      if (deleted < DELETE_BATCH) return total;
    }
  }

  /** Job counts by state, read from Redis in one round trip. */
  async stats(): Promise<RedisQueueStats> {
    const k = this.#keys;
    const counts = (await this.#internals.calls.script('stats', [k.ready, k.delayed, k.active, k.dead, k.completed], [])) as number[];
    const [critical = 0, high = 0, normal = 0, low = 0, delayed = 0, active = 0, dead = 0, completed = 0] = counts;
    return { ready: critical + high + normal + low, readyByPriority: { critical, high, normal, low }, delayed, active, dead, completed };
  }

  /**
   * Starts a worker that runs this queue's jobs until closed.
   * @param handlers - one handler for every type, or one per type (a job of another type fails
   *   with {@link UnknownJobTypeError} and goes to the dead-letter set)
   * @param options - see {@link WorkerOptions}
   * @throws ConfigError naming every invalid option
   */
  process<Payload = unknown>(handlers: JobHandler<Payload> | JobHandlers, options?: WorkerOptions): QueueWorker {
    const worker = new QueueWorker(this.#internals, handlers as JobHandler<never> | JobHandlers, options, (ended) => this.#workers.delete(ended));
    if (this.#workers.size === 0) this.#checkEviction();
    this.#workers.add(worker);
    return worker;
  }

  /**
   * Stops the queue's background work: the depth poll of a paused producer, and every worker of
   * this queue (closed without waiting; use `await using` or close them to wait).
   */
  dispose(): void {
    this.#disposed = true;
    if (this.#poll !== undefined) clearTimeout(this.#poll);
    this.#poll = undefined;
    for (const worker of this.#workers) void worker.close({ drainMs: 0 });
  }

  /** Closes every worker (waiting for them with `drainMs` 0) and stops the depth poll. */
  async [Symbol.asyncDispose](): Promise<void> {
    const closing = [...this.#workers].map((worker) => worker.close({ drainMs: 0 }));
    this.dispose();
    await Promise.all(closing);
  }

  /** Runs `write` now, or through the backpressure when there is one. */
  #admitted<T>(write: () => Promise<T>, signal: AbortSignal | undefined, deadline: number | undefined): Promise<T> {
    const backpressure = this.backpressure;
    if (backpressure === undefined) return write();
    return backpressure.execute(write, { signal, deadline });
  }

  async #write(encoded: readonly EncodedJob[], payloads: readonly unknown[], options: readonly (AddOptions | undefined)[]): Promise<Job[]> {
    const reply = (await this.#internals.calls.script('add', this.#addKeys, addArguments(this.#internals.now(), this.backpressure !== undefined, encoded))) as unknown[];
    const hub = this.#internals.hub;
    const listeners = this.#internals.listeners.added;
    const addedAt = Number(reply[1]);
    const jobs: Job[] = [];
    let at = 2;
    for (let i = 0; i < encoded.length; i++) {
      const id = String(reply[at]);
      if (reply[at + 1] === 1) {
        at += 2;
        const job = addedJob(encoded[i] as EncodedJob, id, payloads[i], addedAt, options[i]);
        this.#internals.counters.added++;
        if (listeners.anyone) hub.emit('added', Date.now(), { jobId: id, jobType: job.type, state: job.state });
        jobs.push(job);
      } else {
        jobs.push(decodeJob(id, reply.slice(at + 2, at + 2 + JOB_FIELDS.length)) as Job);
        at += 2 + JOB_FIELDS.length;
      }
    }
    this.#observeDepth(Number(reply[0]));
    return jobs;
  }

  /**
   * Counts the ready depth Redis reported into the backpressure (acquiring or releasing the
   * difference from what was counted before), and polls it while paused, so that waiting
   * producers go on once workers have drained the queue to its low mark.
   */
  #observeDepth(depth: number): void {
    const backpressure = this.backpressure;
    if (backpressure === undefined || this.#disposed) return;
    const change = depth - this.#mirrored;
    this.#mirrored = depth;
    if (change > 0) backpressure.acquire(change);
    else if (change < 0) backpressure.release(-change);
    if (backpressure.paused && this.#poll === undefined) this.#schedulePoll();
  }

  #schedulePoll(): void {
    this.#poll = setTimeout(() => {
      const calls = this.#internals.calls;
      calls
        .call(() => calls.redis.zcard(this.#keys.ready))
        .then(
          (depth) => {
            this.#poll = undefined;
            this.#observeDepth(depth);
          },
          () => {
            this.#poll = undefined;
            if (!this.#disposed && this.backpressure?.paused === true) this.#schedulePoll();
          },
        );
    }, this.#depthPollMs);
    unrefTimer(this.#poll);
  }

  #pausedWorkers(): number {
    let paused = 0;
    for (const worker of this.#workers) if (worker.paused) paused++;
    return paused;
  }

  /** Warns once when Redis may evict keys: an evicted job hash is a lost job. */
  #checkEviction(): void {
    const redis = this.#internals.calls.redis as { config?: (...args: string[]) => Promise<unknown> };
    redis.config?.('GET', 'maxmemory-policy').then(
      (reply) => {
        const policy = Array.isArray(reply) ? reply[1] : undefined;
        if (typeof policy === 'string' && policy !== 'noeviction') {
          getLogger().warn({ queue: this.name, policy }, 'bulwark: Redis may evict keys (maxmemory-policy is not noeviction): jobs can be lost');
        }
      },
      () => {},
    );
  }
}

/**
 * The arguments of the add script: the ready depth is counted only for `countDepth` (a queue with
 * backpressure), then each distinct shape (type, rank, most tries, options, delay)
 * once, then per job its shape's number, id and payload; jobs of a bulk add mostly share one shape,
 * so that 3 arguments per job go to Redis instead of 7.
 */
function addArguments(now: string, countDepth: boolean, encoded: readonly EncodedJob[]): (string | number)[] {
  if (encoded.length === 1) {
    // One job has one shape: no table of shapes to build for the usual add.
    const job = encoded[0] as EncodedJob;
    const args: (string | number)[] = [now, countDepth ? 1 : '', 1];
    pushShape(args, job);
    args.push(1, job.id, job.data);
    return args;
  }
  const shapes: (string | number)[] = [];
  const jobs: (string | number)[] = [];
  const numbers = new Map<string, number>();
  let last: EncodedJob | undefined;
  let lastNumber = 0;
  for (const job of encoded) {
    if (last === undefined || !sameShape(job, last)) {
      const key = `${job.type}\u0000${job.rank}\u0000${job.maxAttempts}\u0000${job.extra}\u0000${job.delayMs}`;
      let number = numbers.get(key);
      if (number === undefined) {
        number = numbers.size + 1;
        numbers.set(key, number);
        pushShape(shapes, job);
      }
      last = job;
      lastNumber = number;
    }
    jobs.push(lastNumber, job.id, job.data);
  }
  return [now, countDepth ? 1 : '', numbers.size].concat(shapes, jobs);
}

/** Appends the add script's description of `job`'s shape to `args`: type, rank, most tries, options, delay. */
function pushShape(args: (string | number)[], job: EncodedJob): void {
  args.push(job.type, job.rank, job.maxAttempts, job.extra, job.delayMs);
}

function sameShape(a: EncodedJob, b: EncodedJob): boolean {
  return a.type === b.type && a.rank === b.rank && a.maxAttempts === b.maxAttempts && a.extra === b.extra && a.delayMs === b.delayMs;
}
