/**
 * How a RedisStore names its keys.
 * @module
 */
import { createHash } from 'node:crypto';

/** User keys longer than this many UTF-8 bytes are replaced by their sha256 (hex). */
export const MAX_USER_KEY_BYTES = 128;

/**
 * The part of a key shared by every window of one decision:
 * `prefix:namespace:{userKey}`. The braces are a Cluster hash tag, so that every key of the decision
 * lives in one slot. A user key longer than {@link MAX_USER_KEY_BYTES} bytes, or containing `}`
 * (which would end the hash tag early), is replaced by its sha256 in hex.
 */
export function baseKey(keyStart: string, userKey: string): string {
  const tag =
    userKey.length * 3 > MAX_USER_KEY_BYTES && Buffer.byteLength(userKey) > MAX_USER_KEY_BYTES
      ? sha256(userKey)
      : userKey.includes('}')
        ? sha256(userKey)
        : userKey;
  return `${keyStart}:{${tag}}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
