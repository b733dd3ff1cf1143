/**
 * Lock: a mutex on one Redis (a single node or one Cluster slot), with fencing tokens.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../../core/clock';
import { defaultName, parseOptions } from '../../core/config';
import { ConfigError } from '../../core/errors';
import { EventHub, type EventEmitter } from '../../core/events';
import { getLogger } from '../../core/logger';
import { registerInstance, type Registrable } from '../../core/registry';
import { LockCommands } from './commands';
import { LockTimeoutError, LockUnavailableError, type LockLostReason } from './errors';
import type { LockEvents, LockStats } from './events';
import { hold, type LockContext } from './hold';
import { lockKeys, type LockKeys } from './keys';
import { Lease, type LeaseHost } from './lease';
import {
  acquireOptionsSchema,
  isValidAcquire,
  extendBelowTtl,
  LOCK_DEFAULTS,
  lockOptionsSchema,
  withLockOptionsSchema,
  type AcquireOptions,
  type LockOptions,
  type WithLockOptions,
} from './options';

/** A lock key: a string, or a number (the same lock as its decimal string). */
export type LockKey = string | number;

/**
 * A mutex shared by every process using the same Redis, with fencing tokens. Ships from
 * `bulwark/redis`. A single-Redis lock, not Redlock: it excludes holders while the node that owns
 * the key keeps it (see docs/lock.md for what a failover can do, and why every write should carry
 * the lease's `fence`).
 *
 * - `acquire(key, { ttlMs, waitMs?, signal? })` takes the lock in one Lua script (`SET NX PX` and
 *   `INCR` of the key's fencing counter together) and returns a {@link Lease}; with `waitMs` it
 *   retries with jittered exponential backoff (never longer than the holder's remaining time to
 *   live) until it gets the lock, the wait runs out ({@link LockTimeoutError}) or `signal` aborts.
 * - `withLock(key, fn, options)` runs `fn` while holding the lock, extends the lease while `fn`
 *   runs, aborts `fn`'s signal if the lease is lost, and releases it at the end.
 *
 * @example
 * ```ts
 * const lock = new Lock({ redis, name: 'invoices' });
 * await lock.withLock(`invoice:${id}`, async ({ signal, lease }) => {
 *   await db.invoices.finalize(id, { fence: lease.fence, signal });
 * }, { ttlMs: 10_000, waitMs: 2_000 });
 * ```
 */
export class Lock implements Registrable, AsyncDisposable {
  /** Instance name, used in events, errors and the registry. */
  readonly name: string;
  /** `'lock'`: the prefix of its events on the bus. */
  readonly patternType = 'lock';
  /** Typed emitter of this instance's events. */
  readonly events: EventEmitter<LockEvents>;
  /** First part of every key. */
  readonly prefix: string;
  /** Longest wait for Redis per command, in ms. */
  readonly timeoutMs: number;
  /** First pause between two attempts, in ms. */
  readonly retryDelayMs: number;
  /** Longest pause between two attempts, in ms. */
  readonly maxRetryDelayMs: number;
  readonly #clock: Clock;
  readonly #hub: EventHub<LockEvents>;
  readonly #host: LeaseHost;
  readonly #held = new Set<Lease>();
  readonly #acquiring = new Set<AbortController>();
  #pruneAt = 64;
  #acquired = 0;
  #released = 0;
  #lost = 0;
  #rejected = 0;
  #waiting = 0;
  #disposed = false;

  /**
   * @param options - see {@link LockOptions}
   * @throws ConfigError (from `bulwark`) naming every invalid option
   */
  constructor(options: LockOptions) {
    const resolved = parseOptions(lockOptionsSchema, options, 'Lock options');
    this.name = resolved.name ?? defaultName('lock');
    this.prefix = resolved.prefix ?? LOCK_DEFAULTS.prefix;
    this.timeoutMs = resolved.timeoutMs ?? LOCK_DEFAULTS.timeoutMs;
    this.retryDelayMs = resolved.retryDelayMs ?? LOCK_DEFAULTS.retryDelayMs;
    this.maxRetryDelayMs = resolved.maxRetryDelayMs ?? LOCK_DEFAULTS.maxRetryDelayMs;
    this.#clock = resolved.clock ?? systemClock;
    this.#hub = new EventHub('lock', this.name);
    this.events = this.#hub.emitter;
    this.#host = {
      commands: new LockCommands(resolved.redis, this.timeoutMs),
      clock: this.#clock,
      leaseReleased: (lease) => this.#leaseReleased(lease),
      leaseLost: (lease, reason, error) => this.#leaseLost(lease, reason, error),
    };
    registerInstance(this, resolved.registry);
  }

  /** The Redis keys of the lock named `key` (the lock itself and its fencing counter), e.g. for inspection. */
  keysFor(key: LockKey): LockKeys {
    return lockKeys(this.prefix, String(key));
  }

  /**
   * Takes the lock named `key` for `ttlMs`.
   * @throws {@link LockTimeoutError} when another holder kept it for the whole `waitMs`;
   *   `signal.reason` when `signal` aborts (nothing is left held); {@link LockUnavailableError}
   *   when Redis could not be asked or the Lock was disposed; ConfigError for bad options
   */
  async acquire(key: LockKey, options: AcquireOptions): Promise<Lease> {
    const resolved = isValidAcquire(options, false) ? options : parseOptions(acquireOptionsSchema, options, 'Lock.acquire options');
    return this.#acquire(checkKey(key), resolved.ttlMs, resolved.waitMs ?? 0, resolved.signal);
  }

  /**
   * Runs `fn` while holding the lock named `key`: acquires it as {@link Lock.acquire} does, extends
   * the lease by `ttlMs` every `extendEveryMs` while `fn` runs, aborts `ctx.signal` when the lease
   * is lost (with a {@link LockLostError}) or the caller aborts (with its reason), and releases the
   * lease when `fn` settles, whatever its outcome.
   * @returns `fn`'s result (or its rejection)
   * @throws what `acquire` throws, before `fn` runs
   */
  async withLock<T>(key: LockKey, fn: (ctx: LockContext) => T | PromiseLike<T>, options: WithLockOptions): Promise<T> {
    const resolved = isValidAcquire(options, true) ? options : parseOptions(withLockOptionsSchema, options, 'Lock.withLock options', extendBelowTtl);
    const lease = await this.#acquire(checkKey(key), resolved.ttlMs, resolved.waitMs ?? 0, resolved.signal);
    return hold(lease, fn, {
      ttlMs: resolved.ttlMs,
      extendEveryMs: resolved.extendEveryMs ?? resolved.ttlMs / 3,
      signal: resolved.signal,
      clock: this.#clock,
    });
  }

  /** Counters and the leases held now, as plain data. */
  stats(): LockStats {
    this.#prune();
    return {
      acquired: this.#acquired,
      released: this.#released,
      lost: this.#lost,
      rejected: this.#rejected,
      held: this.#held.size,
      waiting: this.#waiting,
    };
  }

  /**
   * Ends the Lock: waiting and later acquires reject with {@link LockUnavailableError}, and every
   * lease it still holds is released (a `withLock` function's signal aborts with a
   * {@link LockLostError} of reason `released`). Resolves when the releases are done; a release
   * that fails is logged. Idempotent.
   */
  async dispose(): Promise<void> {
    if (!this.#disposed) {
      this.#disposed = true;
      for (const controller of this.#acquiring) controller.abort(this.#disposedError());
    }
    await Promise.all([...this.#held].map((lease) => lease[Symbol.asyncDispose]()));
  }

  /** Same as `dispose()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  async #acquire(key: string, ttlMs: number, waitMs: number, callerSignal: AbortSignal | undefined): Promise<Lease> {
    if (this.#disposed) throw this.#disposedError();
    if (callerSignal?.aborted) throw callerSignal.reason;
    const keys = lockKeys(this.prefix, key);
    const ttl = Math.ceil(ttlMs);
    const clock = this.#clock;
    const startedAt = clock.now();
    const controller = new AbortController();
    const signal = controller.signal;
    const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    this.#acquiring.add(controller);
    let waiting = false;
    try {
      for (let attempt = 1; ; attempt++) {
        const token = randomBytes(16).toString('hex');
        const sentAt = clock.now();
        const reply = await this.#host.commands.acquire(keys, token, ttl, signal);
        if (reply.fence > 0) {
          if (signal.aborted) {
            // The abort came in the same instant as the lock: give it back.
            await this.#host.commands.release(keys, token).catch(() => false);
            throw signal.reason;
          }
          const lease = new Lease(this.#host, key, keys, token, reply.fence, sentAt, sentAt + ttl);
          return this.#leaseAcquired(lease, ttl, sentAt - startedAt, attempt);
        }
        const retryAfterMs = reply.pttl >= 0 ? reply.pttl : Infinity;
        if (attempt === 1 && this.#hub.has('contended')) this.#hub.emit('contended', clock.now(), { key, retryAfterMs });
        const waitedMs = clock.now() - startedAt;
        const leftMs = waitMs - waitedMs;
        if (leftMs <= 0) throw this.#rejectedError(key, waitedMs, attempt, retryAfterMs);
        if (!waiting) {
          waiting = true;
          this.#waiting++;
        }
        const backoffMs = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** (attempt - 1));
        await clock.sleep(Math.min(backoffMs * (0.5 + Math.random() / 2), leftMs, Math.max(1, retryAfterMs)), signal);
      }
    } finally {
      if (waiting) this.#waiting--;
      this.#acquiring.delete(controller);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  #leaseAcquired(lease: Lease, ttlMs: number, waitedMs: number, attempts: number): Lease {
    this.#acquired++;
    if (this.#held.size >= this.#pruneAt) {
      this.#prune();
      this.#pruneAt = Math.max(64, 2 * this.#held.size);
    }
    this.#held.add(lease);
    if (this.#hub.has('acquired')) {
      this.#hub.emit('acquired', lease.acquiredAt, { key: lease.key, fence: lease.fence, ttlMs, waitedMs, attempts });
    }
    return lease;
  }

  #leaseReleased(lease: Lease): void {
    this.#released++;
    this.#held.delete(lease);
    if (this.#hub.has('released')) {
      const now = this.#clock.now();
      this.#hub.emit('released', now, { key: lease.key, fence: lease.fence, heldMs: now - lease.acquiredAt });
    }
  }

  #leaseLost(lease: Lease, reason: LockLostReason, error: unknown): void {
    this.#lost++;
    this.#held.delete(lease);
    if (reason === 'expired') {
      getLogger().warn({ key: lease.key, fence: lease.fence, err: error }, 'bulwark: a lock lease expired before it could be extended');
    }
    if (this.#hub.has('lost')) {
      const now = this.#clock.now();
      const fields = { key: lease.key, fence: lease.fence, reason, heldMs: now - lease.acquiredAt };
      this.#hub.emit('lost', now, error === undefined ? fields : { ...fields, error });
    }
  }

  #rejectedError(key: string, waitedMs: number, attempts: number, retryAfterMs: number): LockTimeoutError {
    this.#rejected++;
    if (this.#hub.has('rejected')) {
      this.#hub.emit('rejected', this.#clock.now(), { reason: 'lockHeld', key, waitedMs, attempts, retryAfterMs });
    }
    return new LockTimeoutError(this.name, key, waitedMs, retryAfterMs);
  }

  /** Drops from `held` the leases past their expiry that nobody released. */
  #prune(): void {
    for (const lease of this.#held) if (!lease.held) this.#held.delete(lease);
  }

  #disposedError(): LockUnavailableError {
    return new LockUnavailableError(`Lock "${this.name}" was disposed`);
  }
}

/** `key` as a string, or a ConfigError when it is neither a string nor a finite number. */
function checkKey(key: LockKey): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' && Number.isFinite(key)) return String(key);
  throw new ConfigError('Lock key', [{ path: 'key', message: `expected a string or a finite number, got ${typeof key}` }]);
}
