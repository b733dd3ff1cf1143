/**
 * A worker's fetch: one script run that acknowledges the completions it carries, promotes due
 * delayed jobs, sweeps stalled ones (at most once per sweep interval) and takes ready jobs into
 * active with a lease.
 * @module
 * @internal
 */
import { ignore } from '../../core/ignore';
import type { Cluster, Redis } from 'ioredis';
import type { QueueInternals } from './internals';
import { decodeJob, type Job } from './job';
import { JobScope } from './job-scope';
import type { Held, Leases } from './leases';
import { SWEEP_LIMIT } from './lua';

/** What a fetch answered. */
export interface FetchReply {
  /** The time the script ran at, in ms, by the queue's time source. */
  readonly now: number;
  /** Ms until the next delayed job is due; -1 when none is. */
  readonly nextDueMs: number;
  /** The stalled jobs it swept: `{id, type, tries, dead 0/1}`. */
  readonly stalled: readonly unknown[][];
  /**
   * The reply's flat list, whose elements from {@link FetchReply.takenAt} on are the jobs it took:
   * `id, t, d, p, a, m, o, at` each; a job's lease token is `prefix` + its id.
   */
  readonly taken: readonly unknown[];
  /** Where the jobs it took start in {@link FetchReply.taken}. */
  readonly takenAt: number;
  /** For each completion it carried: 1 completed, 0 lease lost. */
  readonly acknowledged: readonly number[];
  /** The lease token prefix of the fetch. */
  readonly prefix: string;
}

/** Sends a worker's fetches and holds the jobs they take. */
export class Fetcher {
  readonly #q: QueueInternals;
  readonly #leases: Leases;
  readonly #workerId: string;
  readonly #leaseMs: number;
  readonly #sweepEveryMs: number;
  readonly #keys: readonly string[];
  #fetches = 0;
  /** When the next fetch sweeps stalled jobs, by the queue's time source (0: the first fetch does). */
  #sweepAt = 0;

  /**
   * @param internals - the queue
   * @param leases - the worker's leases, which hold the jobs a fetch takes
   * @param workerId - the prefix of the worker's lease tokens
   * @param leaseMs - the lease of a job taken
   * @param sweepEveryMs - how often its fetches sweep stalled jobs (the worker's `blockMs`)
   */
  constructor(internals: QueueInternals, leases: Leases, workerId: string, leaseMs: number, sweepEveryMs: number) {
    this.#q = internals;
    this.#leases = leases;
    this.#workerId = workerId;
    this.#leaseMs = leaseMs;
    this.#sweepEveryMs = sweepEveryMs;
    const k = internals.keys;
    this.#keys = [k.jobs, k.ready, k.active, k.delayed, k.dead, k.wake, k.seq, k.completed];
  }

  /**
   * Takes up to `count` ready jobs and acknowledges `acknowledged` (completions), through the
   * queue's breaker and timeout.
   * @throws as the Redis call does; a fetch that timed out but ran after all has its jobs handed back
   */
  async fetch(count: number, acknowledged: readonly Held[]): Promise<FetchReply> {
    const calls = this.#q.calls;
    const prefix = this.nextPrefix();
    const args = this.#args(count, acknowledged, prefix);
    let sent: Promise<unknown> | undefined;
    try {
      return this.reply(await calls.call(() => (sent = calls.send('fetch', this.#keys, args))), prefix, acknowledged.length);
    } catch (error) {
      // A fetch that timed out may still run on the server: hand back whatever it took.
      // Whatever it took and cannot hand back (a reply that does not decode) returns when its lease runs out.
      if (sent !== undefined) sent.then((late) => this.#leases.release(this.hold(fetchReply(late, prefix, acknowledged.length)))).catch(ignore);
      throw error;
    }
  }

  /** A lease token prefix of its own for the next fetch: unique to the worker and the fetch. */
  nextPrefix(): string {
    return `${this.#workerId}:${++this.#fetches}:`;
  }

  /**
   * Sends a fetch of up to `count` jobs that acknowledges nothing on `connection` (the worker's
   * blocking connection, right behind its pop); {@link Fetcher.reply} reads what it answered.
   * @param prefix - its lease token prefix, from {@link Fetcher.nextPrefix}
   */
  sendOn(connection: Redis | Cluster, count: number, prefix: string): Promise<unknown> {
    return this.#q.calls.sendOn(connection, 'fetch', this.#keys, this.#args(count, [], prefix));
  }

  /**
   * The reply of a fetch whose lease token prefix is `prefix` and that carried `acknowledged`
   * completions (none for one sent by {@link Fetcher.sendOn}).
   * A fetch that ran at or after the sweep time swept (the sweep time only grows, so the one it
   * carried was no later): the next sweep is due `sweepEveryMs` after it, unless it swept as many
   * as one sweep takes (more may be left). A time earlier than the last sweep's (a failover to a
   * server whose clock is behind) makes the next fetch sweep.
   */
  reply(raw: unknown, prefix: string, acknowledged = 0): FetchReply {
    const reply = fetchReply(raw, prefix, acknowledged);
    const now = reply.now;
    if (now < this.#sweepAt - this.#sweepEveryMs) this.#sweepAt = 0;
    else if (now >= this.#sweepAt && reply.stalled.length < SWEEP_LIMIT) this.#sweepAt = now + this.#sweepEveryMs;
    return reply;
  }

  /** The arguments of a fetch: its token prefix, when it sweeps, then the completions it carries. */
  #args(count: number, acknowledged: readonly Held[], token: string): (string | number)[] {
    const remove = this.#q.removeOnComplete ? 1 : 0;
    const args: (string | number)[] = [this.#q.now(), count, this.#leaseMs, token, remove, this.#sweepAt];
    for (const held of acknowledged) args.push(held.job.id, held.token);
    return args;
  }

  /** Holds the jobs `reply` took: their leases are renewed from now on. */
  hold(reply: FetchReply): Held[] {
    const taken = reply.taken;
    const held: Held[] = [];
    const startedAt = Date.now();
    for (let at = reply.takenAt; at < taken.length; at += 8) {
      const fields = [taken[at + 1], taken[at + 2], taken[at + 3], taken[at + 4], taken[at + 5], taken[at + 6], taken[at + 7], 'active'];
      const id = String(taken[at]);
      const job = decodeJob(id, fields) as Job;
      const one: Held = { job, token: reply.prefix + id, scope: new JobScope(), startedAt, running: false, dropped: false };
      this.#leases.add(one);
      held.push(one);
    }
    return held;
  }

  /** Reports the stalled jobs `reply` swept: a `stalled` event each, and `dead` for those on their last try. */
  reportStalled(reply: FetchReply): void {
    const q = this.#q;
    const hub = q.hub;
    for (const [id, type, attempts, dead] of reply.stalled) {
      q.counters.stalled++;
      const fields = { jobId: String(id), jobType: String(type), attempts: Number(attempts) };
      if (hub.has('stalled')) hub.emit('stalled', Date.now(), { ...fields, dead: dead === 1 });
      if (dead === 1) {
        q.counters.dead++;
        if (hub.has('dead')) hub.emit('dead', Date.now(), { ...fields, reason: 'stalled' });
      }
    }
  }
}

/**
 * The reply of the fetch script, named: one flat list `now, nextDueMs, stalled count`, then a flag
 * for each of the `acknowledged` completions it carried, 4 elements per stalled job, and 8 per job
 * taken.
 */
function fetchReply(raw: unknown, prefix: string, acknowledged: number): FetchReply {
  const list = raw as unknown[];
  const stalledAt = 3 + acknowledged;
  const stalled: unknown[][] = [];
  let takenAt = stalledAt;
  for (let i = Number(list[2]); i > 0; i--, takenAt += 4) stalled.push(list.slice(takenAt, takenAt + 4));
  const flags = list.slice(3, stalledAt) as number[];
  return { now: Number(list[0]), nextDueMs: Number(list[1]), stalled, taken: list, takenAt, acknowledged: flags, prefix };
}
