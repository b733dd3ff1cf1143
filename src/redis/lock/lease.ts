/**
 * A Lease: one holding of a lock, returned by {@link Lock.acquire}.
 * @module
 */
import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { parseOptions } from '../../core/config';
import { getLogger } from '../../core/logger';
import type { LockCommands } from './commands';
import { LockLostError, type LockLostReason } from './errors';
import type { LockKeys } from './keys';
import { acquireOptionsSchema, isTimerDelay } from './options';

/** What a lease needs from the Lock that made it. @internal */
export interface LeaseHost {
  readonly commands: LockCommands;
  readonly clock: Clock;
  /** A lease released the lock while it still held it. */
  leaseReleased(lease: Lease): void;
  /** A lease was found lost (called once per lease). */
  leaseLost(lease: Lease, reason: LockLostReason, error: unknown): void;
}

/** Key of the lease's end signal: aborts, with a {@link LockLostError}, when it stops being held. @internal */
export const leaseEnded = Symbol('bulwark.lockLeaseEnded');
/** Key of the method that marks a lease lost. @internal */
export const loseLease = Symbol('bulwark.lockLoseLease');

const extendSchema = z.strictObject({ ttlMs: acquireOptionsSchema.shape.ttlMs });

/**
 * One holding of a lock. It holds the lock from its acquisition until it is released, or until
 * its time to live runs out on the Redis server without an `extend`.
 *
 * Pass {@link Lease.fence} with every write the holder makes downstream: fences of one key
 * strictly increase with each acquisition, so a downstream that remembers the highest fence it has
 * seen can refuse a write from a holder that lost the lock without knowing it (a long GC pause, a
 * Redis failover).
 */
export class Lease implements AsyncDisposable {
  /** The lock's key, as passed to `acquire`. */
  readonly key: string;
  /** Random token (16 bytes, hex) that marks this holding in Redis. */
  readonly token: string;
  /** Fencing token: strictly greater than that of every earlier lease on the same key. */
  readonly fence: number;
  /** When it was acquired, in ms since the epoch (the Lock's clock). */
  readonly acquiredAt: number;
  readonly #host: LeaseHost;
  readonly #keys: LockKeys;
  #expiresAt: number;
  #state: 'held' | 'lost' | 'released' = 'held';
  #ended: AbortController | undefined;

  /**
   * Made by {@link Lock.acquire}, never by you.
   * @internal
   */
  constructor(host: LeaseHost, key: string, keys: LockKeys, token: string, fence: number, acquiredAt: number, expiresAt: number) {
    this.#host = host;
    this.key = key;
    this.#keys = keys;
    this.token = token;
    this.fence = fence;
    this.acquiredAt = acquiredAt;
    this.#expiresAt = expiresAt;
  }

  /**
   * When the lease runs out unless extended, in ms since the epoch: this process's estimate,
   * counted from before the command that set the time to live was sent, so never later than
   * Redis's own expiry (as long as the clocks run at the same rate).
   */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  /** Whether it holds the lock, as far as this process knows: neither released nor lost, and not past `expiresAt`. */
  get held(): boolean {
    return this.#state === 'held' && this.#host.clock.now() < this.#expiresAt;
  }

  /**
   * Deletes the lock in Redis if it still carries this lease's token (a Lua compare-and-delete):
   * a lease that expired can never delete the lock of the holder that came after it.
   * @returns true when it still held the lock and released it; false when it no longer held it
   *   (expired, taken by another holder, or already released)
   * @throws {@link LockUnavailableError} when Redis could not be asked; the lease is unchanged
   */
  async release(): Promise<boolean> {
    if (this.#state === 'released') return false;
    const released = await this.#host.commands.release(this.#keys, this.token);
    const wasHeld = this.#state === 'held';
    if (!released) this[loseLease]('notHeld', undefined);
    this.#state = 'released';
    if (released && wasHeld) this.#host.leaseReleased(this);
    if (released) this.#end('released');
    return released;
  }

  /**
   * Sets the lock's time to live to `ttlMs` from now if it still carries this lease's token (a Lua
   * compare-and-pexpire), and moves `expiresAt`.
   * @param ttlMs - the new time to live, in ms (rounded up to whole ms)
   * @returns true when it still held the lock; false when it no longer did (the lease is then lost)
   * @throws {@link LockUnavailableError} when Redis could not be asked; ConfigError for a bad `ttlMs`
   */
  async extend(ttlMs: number): Promise<boolean> {
    const ms = Math.ceil(isTimerDelay(ttlMs, false) ? ttlMs : parseOptions(extendSchema, { ttlMs }, 'Lease.extend arguments').ttlMs);
    if (this.#state !== 'held') return false;
    const sentAt = this.#host.clock.now();
    const extended = await this.#host.commands.extend(this.#keys, this.token, ms);
    if (!extended) this[loseLease]('notHeld', undefined);
    else if (this.#state === 'held') this.#expiresAt = Math.max(this.#expiresAt, sentAt + ms);
    return extended && this.#state === 'held';
  }

  /** Releases the lease, for `await using`; a Redis error is logged, not thrown (the lock then expires by its time to live). */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.release();
    } catch (error) {
      getLogger().warn({ err: error, key: this.key, fence: this.fence }, 'bulwark: a lock lease could not be released; it expires by its ttl');
    }
  }

  /** A signal that aborts, with a {@link LockLostError}, when the lease stops being held. @internal */
  [leaseEnded](): AbortSignal {
    if (this.#ended === undefined) {
      this.#ended = new AbortController();
      if (this.#state !== 'held') this.#ended.abort(new LockLostError(this.key, this.fence, this.#state === 'lost' ? 'notHeld' : 'released'));
    }
    return this.#ended.signal;
  }

  /** Marks the lease lost (once), tells the Lock and aborts the end signal. @internal */
  [loseLease](reason: LockLostReason, error: unknown): void {
    if (this.#state !== 'held') return;
    this.#state = 'lost';
    this.#host.leaseLost(this, reason, error);
    this.#end(reason, error);
  }

  #end(reason: LockLostReason, error?: unknown): void {
    this.#ended?.abort(new LockLostError(this.key, this.fence, reason, error));
  }
}
