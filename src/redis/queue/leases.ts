/**
 * The leases a worker holds: the jobs it took, their extension every `leaseMs / 3` in one call,
 * handing them back, and reclaiming those a lost fetch reply left under its tokens.
 * @module
 * @internal
 */
import { unrefTimer } from '../../core/clock';
import { getLogger } from '../../core/logger';
import { JobAbortedError } from './errors';
import type { QueueInternals } from './internals';
import type { Job } from './job';
import type { JobScope } from './job-scope';

/** A job whose lease this worker holds. */
export interface Held {
  readonly job: Job;
  readonly token: string;
  /** Aborts the try (the handler's `ctx.signal`). */
  readonly scope: JobScope;
  readonly startedAt: number;
  /** The handler is still running. */
  running: boolean;
  /** The lease is gone (lost, or handed back by close): nothing more is written for this job. */
  dropped: boolean;
  /** How the handler ended: undefined for success, else the retry delay (-1: dead) and error. */
  failure?: { readonly delayMs: number; readonly error: unknown; readonly unrecoverable: boolean } | undefined;
}

/** The jobs one worker holds a lease on, and their renewal. */
export class Leases {
  readonly #q: QueueInternals;
  readonly #workerId: string;
  readonly #leaseMs: number;
  readonly #held = new Map<string, Held>();
  readonly #timer: ReturnType<typeof setInterval>;
  #extending = false;

  /**
   * @param internals - the queue
   * @param workerId - the prefix of the worker's lease tokens
   * @param leaseMs - how long a lease lasts; renewed every third of it (the timer is unref'd)
   */
  constructor(internals: QueueInternals, workerId: string, leaseMs: number) {
    this.#q = internals;
    this.#workerId = workerId;
    this.#leaseMs = leaseMs;
    this.#timer = setInterval(() => this.#extend(), Math.max(10, Math.floor(leaseMs / 3)));
    unrefTimer(this.#timer);
  }

  /** Starts holding `held` (renewed from now on). */
  add(held: Held): void {
    this.#held.set(held.job.id, held);
  }

  /** Stops holding `held`: its outcome was written, or its lease is gone. */
  forget(held: Held): void {
    this.#held.delete(held.job.id);
  }

  /** The held jobs whose handler is still running. */
  running(): Held[] {
    return [...this.#held.values()].filter((held) => held.running && !held.dropped);
  }

  /** Stops the renewals. */
  stop(): void {
    clearInterval(this.#timer);
  }

  /** Hands leases back: the jobs go back to ready at their place, the try not counted. */
  async release(held: readonly Held[]): Promise<void> {
    if (held.length === 0) return;
    for (const one of held) {
      one.dropped = true;
      this.#held.delete(one.job.id);
    }
    const k = this.#q.keys;
    const args: string[] = [this.#q.now()];
    for (const one of held) args.push(one.job.id, one.token);
    await this.#q.calls.script('release', [k.jobs, k.active, k.ready, k.wake], args).catch((error: unknown) => {
      const message = 'bulwark: could not hand leases back; the jobs return to ready when their leases run out';
      getLogger().warn({ err: error, queue: this.#q.name }, message);
    });
  }

  /**
   * After an outage, hands back the jobs a fetch whose reply was lost moved to active under this
   * worker's tokens (orphans that would otherwise wait for their leases to run out).
   */
  async reclaim(): Promise<void> {
    const k = this.#q.keys;
    const args = [this.#q.now(), `${this.#workerId}:`];
    for (const held of this.#held.values()) args.push(held.token);
    const reclaimed = await this.#q.calls.script('reclaim', [k.jobs, k.active, k.ready, k.wake], args).catch(() => 0);
    if (reclaimed === 0) return;
    getLogger().info({ queue: this.#q.name, jobs: reclaimed }, 'bulwark: a queue worker handed back jobs whose fetch reply was lost');
  }

  /** Extends every lease in one call; a job whose lease is lost is aborted and forgotten. */
  #extend(): void {
    if (this.#extending || this.#held.size === 0) return;
    this.#extending = true;
    const held = [...this.#held.values()];
    const k = this.#q.keys;
    const args: (string | number)[] = [this.#q.now(), this.#leaseMs];
    for (const one of held) args.push(one.job.id, one.token);
    this.#q.calls
      .script('extend', [k.jobs, k.active], args)
      .then(
        (flags) => {
          (flags as number[]).forEach((flag, index) => {
            const one = held[index] as Held;
            if (flag === 1 || one.dropped) return;
            one.dropped = true;
            this.#held.delete(one.job.id);
            if (one.running) one.scope.abort(new JobAbortedError(one.job.id, 'leaseLost'));
            leaseLost(one, 'extension');
          });
        },
        (error: unknown) => getLogger().debug({ err: error, queue: this.#q.name }, 'bulwark: lease extension failed; retrying at the next tick'),
      )
      .finally(() => {
        this.#extending = false;
      });
  }
}

/** Logs that a job's outcome was not written because this worker no longer held its lease. */
export function leaseLost(held: Held, when: string): void {
  getLogger().warn({ jobId: held.job.id, when }, 'bulwark: a queue job lost its lease (another worker may run it); nothing written');
}
