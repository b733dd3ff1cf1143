/**
 * How a queue names its keys: `prefix:{name}:part`, one hash tag per queue, so that every script
 * of a queue runs in one Cluster slot.
 * @module
 * @internal
 */

/** Every key of one queue. */
export interface QueueKeys {
  /** Prefix of the job hashes: `prefix:{name}:job:` + id. */
  readonly jobs: string;
  /** Counter of the FIFO sequence; a job added without `jobId` gets its number as its id. */
  readonly seq: string;
  /** Sorted set of ready jobs (priority rank × 1e13 + sequence). */
  readonly ready: string;
  /** Sorted set of delayed jobs (due time). */
  readonly delayed: string;
  /** Sorted set of active jobs (lease deadline). */
  readonly active: string;
  /** Sorted set of dead jobs (when they died). */
  readonly dead: string;
  /** Sorted set of completed jobs (when they completed). */
  readonly completed: string;
  /** The list idle workers block on. */
  readonly wake: string;
}

/** The keys of queue `name` under `prefix`. */
export function queueKeys(prefix: string, name: string): QueueKeys {
  const base = `${prefix}:{${name}}:`;
  return {
    jobs: `${base}job:`,
    seq: `${base}seq`,
    ready: `${base}ready`,
    delayed: `${base}delayed`,
    active: `${base}active`,
    dead: `${base}dead`,
    completed: `${base}completed`,
    wake: `${base}wake`,
  };
}
