/**
 * How a Lock names its keys.
 * @module
 */
import { baseKey } from '../keys';

/** The Redis keys of one lock. */
export interface LockKeys {
  /** The string holding the current holder's token, with the lease's expiry as its TTL. */
  readonly lock: string;
  /** The fencing counter: INCR'd on every acquisition, never expires. */
  readonly fence: string;
}

/**
 * The keys of the lock named `key`: `prefix:{key}:lock` and `prefix:{key}:fence`, named as a
 * RedisStore names its keys. The braces are a Cluster hash tag, so both keys live in one slot and
 * one script may touch both. A key that cannot be its own tag (empty, which Redis ignores; holding
 * `}`, which ends it early; longer than 128 UTF-8 bytes) is replaced by its sha256 in a namespace
 * of its own, `prefix:#{sha256}:…`, so a plain key equal to some key's hash never shares its lock.
 */
export function lockKeys(prefix: string, key: string): LockKeys {
  const base = baseKey(prefix, key);
  return { lock: `${base}:lock`, fence: `${base}:fence` };
}
