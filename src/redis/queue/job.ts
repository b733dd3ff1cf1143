/**
 * Jobs: what `add` takes and returns, how a job is stored in its Redis hash, and how it is read back.
 * @module
 */
import { MAX_TIMER_DELAY_MS } from '../../core/clock';
import { describeValue } from '../../core/config';
import { ConfigError, type ConfigIssue } from '../../core/errors';
import type { Priority } from '../../core/policy';
import { JobPayloadError } from './errors';
import { jobBackoffSchema, type JobBackoff } from './options';

/**
 * Where a job is: `ready` (waiting for a worker, by priority), `delayed` (due later: a `delayMs`
 * or a retry's backoff), `active` (a worker holds its lease), `completed`, `dead` (failed for good).
 */
export type JobState = 'ready' | 'delayed' | 'active' | 'completed' | 'dead';

/** A job as `add`, `get` and handlers see it. Times are ms since the epoch, by the queue's time source. */
export interface Job<Payload = unknown> {
  /** Its id: the `jobId` given to `add`, or a number the queue assigned, as a string. */
  readonly id: string;
  /** Its type: which handler runs it. */
  readonly type: string;
  /** What `add` was given, decoded from JSON. */
  readonly payload: Payload;
  /** How urgent it is: higher priorities are taken first, FIFO within one. */
  readonly priority: Priority;
  /** Tries started so far (1 while the first runs). */
  readonly attempts: number;
  /** Most tries. */
  readonly maxAttempts: number;
  /** Its state when this object was read. */
  readonly state: JobState;
  /** When it was added. */
  readonly addedAt: number;
  /** When its last try started, if one did. */
  readonly startedAt?: number | undefined;
  /** When it completed or died. */
  readonly finishedAt?: number | undefined;
  /** When a delayed job becomes ready. */
  readonly dueAt?: number | undefined;
  /** Its own time limit per try, in ms, if it has one. */
  readonly timeoutMs?: number | undefined;
  /** Its own backoff, if it has one. */
  readonly backoff?: JobBackoff | undefined;
  /** What `add` was given as `metadata`. */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  /** The last failure: its message and stack (a dead job's reason, or the error before a retry). */
  readonly error?: JobError | undefined;
}

/** A job's last failure, as stored with it. */
export interface JobError {
  /** `name: message` of what the handler threw (or the Timeout's error). */
  readonly message: string;
  /** Its stack, when it had one. */
  readonly stack?: string | undefined;
}

/** Options of {@link RedisQueue.add}. */
export interface AddOptions {
  /** How urgent the job is. @defaultValue `'normal'` */
  priority?: Priority;
  /** Make it ready only after this many ms, by the queue's time source. @defaultValue 0 */
  delayMs?: number;
  /**
   * The job's id: adding an id that exists returns the existing job and writes nothing
   * (idempotent adds). Not an integer: those are the ids the queue assigns.
   * @defaultValue a number the queue assigns
   */
  jobId?: string;
  /** Most tries, the first included. @defaultValue the queue's `maxAttempts` (3) */
  maxAttempts?: number;
  /** Backoff between its tries. @defaultValue the queue's `backoff` */
  backoff?: JobBackoff;
  /** Time limit of each try, in ms. @defaultValue the worker's `timeoutMs` */
  timeoutMs?: number;
  /** Anything JSON-serialisable to keep with the job (trace ids, tenants). */
  metadata?: Record<string, unknown>;
  /** Cancels a wait for backpressure (the add rejects with its reason; nothing is written). */
  signal?: AbortSignal;
  /** Ms since the epoch after which a wait for backpressure gives up with a BackpressureTimeoutError. */
  deadline?: number;
}

/** One job of {@link RedisQueue.addBulk}. */
export interface BulkJob<Payload = unknown> {
  /** Its type. */
  type: string;
  /** Its payload. */
  payload: Payload;
  /** Its options (`signal` and `deadline` are those of the `addBulk` call). */
  options?: Omit<AddOptions, 'signal' | 'deadline'>;
}

/** Priority → rank stored with the job (lower is taken first). */
const PRIORITY_RANK: Readonly<Record<Priority, number>> = { critical: 0, high: 1, normal: 2, low: 3 };
const PRIORITY_OF: readonly Priority[] = ['critical', 'high', 'normal', 'low'];

/** A job ready to be written: the arguments of the add script. @internal */
export interface EncodedJob {
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly rank: number;
  readonly maxAttempts: number;
  readonly extra: string;
  readonly delayMs: number;
}

const ADD_OPTION_KEYS = new Set(['priority', 'delayMs', 'jobId', 'maxAttempts', 'backoff', 'timeoutMs', 'metadata', 'signal', 'deadline']);

/**
 * Checks and encodes one job, or throws: {@link ConfigError} naming every bad option,
 * {@link JobPayloadError} for a payload that cannot be stored. Hand-written checks rather than
 * zod, because `add` is a hot path.
 * @internal
 */
export function encodeJob(
  type: unknown,
  payload: unknown,
  options: AddOptions | undefined,
  maxAttempts: number,
  maxPayloadBytes: number,
): EncodedJob {
  const o = options ?? {};
  const { priority = 'normal', delayMs = 0, jobId, timeoutMs, backoff, metadata } = o;
  const attempts = o.maxAttempts ?? maxAttempts;
  const issues: ConfigIssue[] = [];
  if (typeof type !== 'string' || type === '') bad(issues, 'type', 'must be a non-empty string', type);
  for (const key of Object.keys(o)) if (!ADD_OPTION_KEYS.has(key)) issues.push({ path: key, message: 'unknown option' });
  if (!(priority in PRIORITY_RANK)) bad(issues, 'priority', 'must be critical, high, normal or low', priority);
  if (typeof delayMs !== 'number' || !(delayMs >= 0) || !Number.isFinite(delayMs)) bad(issues, 'delayMs', 'must be a finite number ≥ 0', delayMs);
  if (jobId !== undefined && (typeof jobId !== 'string' || jobId === '' || jobId.length > 256 || /^\d+$/.test(jobId))) {
    bad(issues, 'jobId', "must be a string of 1 to 256 characters, not an integer (those are the queue's own ids)", jobId);
  }
  if (!Number.isInteger(attempts) || attempts < 1) bad(issues, 'maxAttempts', 'must be an integer ≥ 1', attempts);
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > MAX_TIMER_DELAY_MS)) {
    bad(issues, 'timeoutMs', `must be a number > 0 and ≤ ${MAX_TIMER_DELAY_MS}`, timeoutMs);
  }
  const parsedBackoff = backoff === undefined ? undefined : jobBackoffSchema.safeParse(backoff);
  for (const issue of parsedBackoff?.error?.issues ?? []) issues.push({ path: ['backoff', ...issue.path].join('.'), message: issue.message });
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null)) bad(issues, 'metadata', 'must be an object', metadata);
  if (issues.length > 0) throw new ConfigError('RedisQueue add options', issues);

  const data = toJson(payload, 'payload');
  if (data.length * 3 > maxPayloadBytes) {
    const bytes = Buffer.byteLength(data);
    if (bytes > maxPayloadBytes) {
      throw new JobPayloadError(`job payload is ${bytes} bytes encoded, over maxPayloadBytes (${maxPayloadBytes})`, bytes);
    }
  }
  let extra = '';
  if (timeoutMs !== undefined || backoff !== undefined || metadata !== undefined) {
    extra = toJson({ timeoutMs, backoff, metadata }, 'metadata');
  }
  return { id: jobId ?? '', type: type as string, data, rank: PRIORITY_RANK[priority], maxAttempts: attempts, extra, delayMs: Math.ceil(delayMs) };
}

/** Lists `path` as invalid: it should be `expected`, and is `value`. */
function bad(issues: ConfigIssue[], path: string, expected: string, value: unknown): void {
  issues.push({ path, message: `${expected}, got ${describeValue(value)}` });
}

function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new JobPayloadError(`job ${what} is not JSON-serialisable: ${(error as Error).message}`, undefined, error);
  }
  if (json === undefined) throw new JobPayloadError(`job ${what} is not JSON-serialisable (${describeValue(value)})`);
  return json;
}

/** The hash fields a job is read back from, in this order (see the scripts). @internal */
export const JOB_FIELDS = ['t', 'd', 'p', 'a', 'm', 'o', 'at', 's', 'st', 'e', 'er', 'sk', 'du'] as const;

/** The options stored in a job's `o` field. */
interface ExtraFields {
  timeoutMs?: number;
  backoff?: JobBackoff;
  metadata?: Record<string, unknown>;
}

/**
 * The job that `fields` (values of {@link JOB_FIELDS}, Redis nils as null or false) describe, or
 * undefined when the hash does not exist.
 * @internal
 */
export function decodeJob(id: string, fields: readonly unknown[]): Job | undefined {
  const [type, data, rank, attempts, max, extraJson, addedAt, state, startedAt, finishedAt, message, stack, dueAt] = fields;
  if (typeof type !== 'string') return undefined;
  const extra = typeof extraJson === 'string' ? (JSON.parse(extraJson) as ExtraFields) : undefined;
  return {
    id,
    type,
    payload: JSON.parse(data as string) as unknown,
    priority: PRIORITY_OF[Number(rank)] ?? 'normal',
    attempts: Number(attempts),
    maxAttempts: Number(max),
    state: (typeof state === 'string' ? state : 'ready') as JobState,
    addedAt: Number(addedAt),
    startedAt: optionalNumber(startedAt),
    finishedAt: optionalNumber(finishedAt),
    dueAt: optionalNumber(dueAt),
    timeoutMs: extra?.timeoutMs,
    backoff: extra?.backoff,
    metadata: extra?.metadata,
    error: typeof message === 'string' ? { message, stack: typeof stack === 'string' && stack !== '' ? stack : undefined } : undefined,
  };
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'string' || typeof value === 'number' ? Number(value) : undefined;
}

/** The job a fresh add made, without reading it back. @internal */
export function addedJob(encoded: EncodedJob, id: string, payload: unknown, addedAt: number, options?: AddOptions): Job {
  return {
    id,
    type: encoded.type,
    payload,
    priority: PRIORITY_OF[encoded.rank] as Priority,
    attempts: 0,
    maxAttempts: encoded.maxAttempts,
    state: encoded.delayMs > 0 ? 'delayed' : 'ready',
    addedAt,
    dueAt: encoded.delayMs > 0 ? addedAt + encoded.delayMs : undefined,
    timeoutMs: options?.timeoutMs,
    backoff: options?.backoff,
    metadata: options?.metadata,
  };
}
