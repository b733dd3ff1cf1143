/**
 * How a RedisStore names its keys.
 * @module
 */
import { createHash } from 'node:crypto';

/** User keys longer than this many UTF-8 bytes are replaced by their sha256 (hex). */
export const MAX_USER_KEY_BYTES = 128;

/**
 * The part of a key shared by every window of one decision: `prefix:namespace:{userKey}`. The
 * braces are a Cluster hash tag, so that every key of the decision lives in one slot.
 *
 * A user key that cannot be its own hash tag is replaced by its sha256 in hex, in a namespace of
 * its own: `prefix:namespace:#{sha256}`. That is a key longer than {@link MAX_USER_KEY_BYTES}
 * bytes (it would bloat Redis), one containing `}` (which would end the tag early) and the empty
 * key (Redis ignores an empty tag `{}` and hashes the whole key, so the windows would land in
 * different slots). Neither `prefix` nor `namespace` holds a brace, so the character before the
 * first `{` tells the two namespaces apart: a user key equal to some key's sha256 never shares
 * its counters.
 */
export function baseKey(keyStart: string, userKey: string): string {
  return isOwnTag(userKey) ? `${keyStart}:{${userKey}}` : `${keyStart}:#{${sha256(userKey)}}`;
}

/** Whether `userKey` is a non-empty hash tag of at most {@link MAX_USER_KEY_BYTES} bytes. */
function isOwnTag(userKey: string): boolean {
  const length = userKey.length;
  if (length === 0 || userKey.includes('}')) return false;
  return length * 3 <= MAX_USER_KEY_BYTES || Buffer.byteLength(userKey) <= MAX_USER_KEY_BYTES;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
