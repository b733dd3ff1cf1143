/**
 * The Redis side of a Lock: its three scripts, each call bounded by a timeout.
 * @module
 * @internal
 */
import type { Cluster, Redis } from 'ioredis';
import { LockUnavailableError } from './errors';
import type { LockKeys } from './keys';
import { notReadyText, readinessOf, type Readiness, type ReadyOutcome } from '../readiness';
import { defineScript, type ScriptCommand } from '../scripts/script-command';
import { RELEASE_TOKEN_LUA } from '../scripts/release-token';
import { ACQUIRE_LUA, EXTEND_LUA } from './scripts';
import { ignore } from '../../core/ignore';

/** What an acquire attempt found: `fence` > 0 when it took the lock, else the holder's `pttl`. */
export interface AcquireReply {
  readonly fence: number;
  readonly pttl: number;
}

function parseAcquire(value: unknown): AcquireReply | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [fence, pttl] = value as unknown[];
  if (!Number.isSafeInteger(fence) || !Number.isSafeInteger(pttl)) return undefined;
  return (fence as number) > 0 || (fence === 0 && (pttl as number) >= -1) ? { fence: fence as number, pttl: pttl as number } : undefined;
}

function parseFlag(value: unknown): boolean | undefined {
  return value === 1 ? true : value === 0 ? false : undefined;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Runs a Lock's scripts on one connection. Every call ends within `timeoutMs` (waiting for the
 * connection while it connects included), failing with {@link LockUnavailableError} rather than
 * hang; nothing is put in ioredis's offline queue.
 */
export class LockCommands {
  readonly #redis: Redis | Cluster;
  readonly #timeoutMs: number;
  readonly #readiness: Readiness;
  readonly #acquire: string;
  readonly #release: string;
  readonly #extend: string;

  constructor(redis: Redis | Cluster, timeoutMs: number) {
    this.#redis = redis;
    this.#timeoutMs = timeoutMs;
    this.#readiness = readinessOf(redis);
    this.#acquire = defineScript(redis, 'bulwarkLockAcquire', ACQUIRE_LUA, 2);
    this.#release = defineScript(redis, 'bulwarkLockRelease', RELEASE_TOKEN_LUA);
    this.#extend = defineScript(redis, 'bulwarkLockExtend', EXTEND_LUA);
  }

  /**
   * One attempt to take the lock. Rejects with `signal.reason` as soon as `signal` aborts; when
   * the attempt was given up (aborted or timed out) and still took the lock on the server, the
   * lock is released as soon as that reply arrives, so an abandoned attempt leaves nothing held.
   */
  acquire(keys: LockKeys, token: string, ttlMs: number, signal: AbortSignal | undefined): Promise<AcquireReply> {
    return this.#call(this.#acquire, [keys.lock, keys.fence, token, String(ttlMs)], parseAcquire, signal, (reply) => {
      if (reply.fence > 0) this.release(keys, token).then(ignore, ignore);
    });
  }

  /** Deletes the lock if it still carries `token`; resolves with whether it did. */
  release(keys: LockKeys, token: string): Promise<boolean> {
    return this.#call(this.#release, [keys.lock, token], parseFlag, undefined, undefined);
  }

  /** Sets the lock's time to live to `ttlMs` if it still carries `token`; resolves with whether it did. */
  extend(keys: LockKeys, token: string, ttlMs: number): Promise<boolean> {
    return this.#call(this.#extend, [keys.lock, token, String(ttlMs)], parseFlag, undefined, undefined);
  }

  /** Why a script was not sent: how the wait for the connection ended, or `'closing'` (its socket was gone). */
  #notSendable(outcome: ReadyOutcome | 'closing'): LockUnavailableError {
    return new LockUnavailableError(`Redis connection ${notReadyText(outcome, this.#timeoutMs)} (status: ${this.#redis.status})`);
  }

  #call<T>(
    command: string,
    args: string[],
    parse: (value: unknown) => T | undefined,
    signal: AbortSignal | undefined,
    late: ((reply: T) => void) | undefined,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (): void => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: unknown): void => {
        if (settled) return;
        settle();
        reject(error);
      };
      const onAbort = (): void => fail(signal?.reason);
      const timer = setTimeout(() => fail(new LockUnavailableError(`Redis did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      const send = (): void => {
        let reply: Promise<unknown>;
        try {
          reply = (this.#redis as unknown as Record<string, ScriptCommand>)[command]!.apply(this.#redis, args);
        } catch (error) {
          fail(new LockUnavailableError('Redis command could not be sent', error));
          return;
        }
        reply.then(
          (value) => {
            const parsed = parse(value);
            if (settled) {
              if (parsed !== undefined) late?.(parsed);
            } else if (parsed === undefined) {
              fail(new LockUnavailableError(`unexpected reply from a lock script: ${describe(value)}`));
            } else {
              settle();
              resolve(parsed);
            }
          },
          (error: unknown) => fail(new LockUnavailableError(`Redis lock script failed: ${(error as Error)?.message ?? String(error)}`, error)),
        );
      };
      const readiness = this.#readiness;
      if (readiness.sendable()) {
        send();
        return;
      }
      // Ready with its socket gone: sending would put the script in ioredis's offline queue.
      if (this.#redis.status === 'ready') {
        fail(this.#notSendable('closing'));
        return;
      }
      // Connecting or reconnecting: wait for it within the same time, never in ioredis's offline queue.
      readiness.wait(this.#timeoutMs).then((outcome) => {
        if (settled) return;
        if (readiness.sendable()) send();
        else fail(this.#notSendable(outcome));
      }, fail);
    });
  }
}
