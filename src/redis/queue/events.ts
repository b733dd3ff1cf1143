/**
 * Events of a RedisQueue and its workers.
 * @module
 */
import type { BulwarkEvent } from '../../core/events';
import type { JobState } from './job';

/** Fields of every job event. */
export interface JobEventFields {
  /** The job's id. */
  readonly jobId: string;
  /** The job's type. */
  readonly jobType: string;
}

/** A job was added (not emitted for an idempotent add that found the id). */
export interface JobAddedEvent extends BulwarkEvent<'added'>, JobEventFields {
  /** `ready`, or `delayed` when it has a `delayMs`. */
  readonly state: JobState;
}

/** A worker took a job: its try started. */
export interface JobActiveEvent extends BulwarkEvent<'active'>, JobEventFields {
  /** The try, 1-based. */
  readonly attempt: number;
  /** Time from the job's add to this start, in ms, by the queue's time source. */
  readonly waitMs: number;
}

/** A job's handler succeeded and the completion was recorded. */
export interface JobCompletedEvent extends BulwarkEvent<'completed'>, JobEventFields {
  /** The try that succeeded, 1-based. */
  readonly attempt: number;
  /** How long the handler ran, in ms. */
  readonly runMs: number;
}

/** A job's try failed (it is retried or dead: a `retrying` or `dead` event follows). */
export interface JobFailedEvent extends BulwarkEvent<'failed'>, JobEventFields {
  /** The try that failed, 1-based. */
  readonly attempt: number;
  /** How long the handler ran, in ms. */
  readonly runMs: number;
  /** What the handler threw (or the Timeout's error). */
  readonly error: unknown;
}

/** A failed job will be tried again after `delayMs`. */
export interface JobRetryingEvent extends BulwarkEvent<'retrying'>, JobEventFields {
  /** The try that failed, 1-based. */
  readonly attempt: number;
  /** The backoff before the next try, in ms. */
  readonly delayMs: number;
}

/** A job moved to the dead-letter set. */
export interface JobDeadEvent extends BulwarkEvent<'dead'>, JobEventFields {
  /** Tries made. */
  readonly attempts: number;
  /** Why: `exhausted` (no tries left), `unrecoverable` (UnrecoverableError or an unknown type), `stalled` (its last try's lease ran out). */
  readonly reason: 'exhausted' | 'unrecoverable' | 'stalled';
  /** The last error, when this worker saw it. */
  readonly error?: unknown;
}

/** A job's lease ran out (its worker died or hung): it is back in ready, or dead when that was its last try. */
export interface JobStalledEvent extends BulwarkEvent<'stalled'>, JobEventFields {
  /** Tries made, the stalled one included. */
  readonly attempts: number;
  /** Whether it went to the dead-letter set. */
  readonly dead: boolean;
}

/** A worker stopped taking jobs because Redis failed (its breaker opened or calls fail). */
export interface WorkerPauseEvent extends BulwarkEvent<'pause'> {
  /** The error that paused it. */
  readonly error: unknown;
}

/** A worker takes jobs again after a pause. */
export interface WorkerResumeEvent extends BulwarkEvent<'resume'> {
  /** How long it was paused, in ms. */
  readonly pausedMs: number;
}

/** Events of a {@link RedisQueue} (its workers emit through it): on `queue.events` and on the bus as `redisQueue:<name>`. */
export type RedisQueueEvents = {
  /** A job was added. */
  added: JobAddedEvent;
  /** A try started. */
  active: JobActiveEvent;
  /** A job completed. */
  completed: JobCompletedEvent;
  /** A try failed. */
  failed: JobFailedEvent;
  /** A failed job will be retried. */
  retrying: JobRetryingEvent;
  /** A job moved to the dead-letter set. */
  dead: JobDeadEvent;
  /** A job's lease ran out. */
  stalled: JobStalledEvent;
  /** A worker paused on a Redis failure. */
  pause: WorkerPauseEvent;
  /** A worker resumed. */
  resume: WorkerResumeEvent;
};
