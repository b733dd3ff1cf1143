/**
 * How a Cache names its keys.
 * @module
 */
import { baseKey } from '../keys';

/**
 * The start of every key of a cache: `prefix` and, when set, `version`. Neither holds a brace
 * (the schema refuses them), so the hash tag that {@link entryKey} adds is the first one.
 */
export function keyStart(prefix: string, version: string | number | undefined): string {
  return version === undefined ? prefix : `${prefix}:v${version}`;
}

/**
 * The Redis key of the entry of `key`: `<start>:{<key>}`, or `<start>:#{<sha256 of key>}` for a
 * key that is empty, longer than 128 UTF-8 bytes or holds `}` (see the RedisStore's key rules).
 * Any character is safe: the key is one Redis argument, never parsed. Every key the cache keeps
 * for one cache key shares the braced hash tag, so that they live in one Cluster slot.
 */
export function entryKey(start: string, key: string): string {
  return baseKey(start, key);
}

/** The key of the refresh lease of the entry `entry` (an {@link entryKey}): same hash tag, same slot. */
export function leaseKey(entry: string): string {
  return `${entry}:lease`;
}

/**
 * The key of the set of entries written with `tag`: `<start>:tag:{<tag>}` (hashed like a key when
 * long or odd). The tag is its own hash tag, so the set lives in one slot of its own; entry keys
 * never start this way (after `<start>:` comes `{` or `#`).
 */
export function tagKey(start: string, tag: string): string {
  return baseKey(`${start}:tag`, tag);
}
