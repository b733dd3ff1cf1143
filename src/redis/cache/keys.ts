/**
 * How a Cache names its keys.
 * @module
 */
import { baseKey, MAX_USER_KEY_BYTES } from '../keys';

/**
 * The start of every key of a cache: `prefix` and, when set, `version`. Neither holds a brace
 * (the schema refuses them), so the hash tag that {@link CacheKeys.entry} adds is the first one.
 */
export function keyStart(prefix: string, version: string | number | undefined): string {
  return version === undefined ? prefix : `${prefix}:v${version}`;
}

/** The keys of one cache, their fixed parts built once. */
export class CacheKeys {
  /** Start of every key: prefix and version. */
  readonly start: string;
  /** `<start>:{`, the start of every entry key a key is its own hash tag in. */
  readonly #entryOpen: string;
  /** `<start>:tag`, the start of every tag set's key. */
  readonly #tagStart: string;

  constructor(start: string) {
    this.start = start;
    this.#entryOpen = `${start}:{`;
    this.#tagStart = `${start}:tag`;
  }

  /**
   * The Redis key of the entry of `key`: `<start>:{<key>}`, or `<start>:#{<sha256 of key>}` for a
   * key that is empty, longer than 128 UTF-8 bytes or holds `}` (see the RedisStore's key rules).
   * Any character is safe: the key is one Redis argument, never parsed. Every key the cache keeps
   * for one cache key shares the braced hash tag, so that they live in one Cluster slot. A short
   * key (at most a third of the byte limit in UTF-16 units, so within it whatever it holds) is
   * checked with one scan and no hashing.
   */
  entry(key: string): string {
    const length = key.length;
    if (length !== 0 && length * 3 <= MAX_USER_KEY_BYTES && !key.includes('}')) return `${this.#entryOpen}${key}}`;
    return baseKey(this.start, key);
  }

  /**
   * The key of the set of entries written with `tag`: `<start>:tag:{<tag>}` (hashed like a key when
   * long or odd). The tag is its own hash tag, so the set lives in one slot of its own; entry keys
   * never start this way (after `<start>:` comes `{` or `#`).
   */
  tag(tag: string): string {
    return baseKey(this.#tagStart, tag);
  }
}

/** The key of the refresh lease of the entry `entry` (a {@link CacheKeys.entry}): same hash tag, same slot. */
export function leaseKey(entry: string): string {
  return `${entry}:lease`;
}
