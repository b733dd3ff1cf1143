/**
 * The compare-and-delete that every token-held key of bulwark's Redis parts is released with (a
 * Lock's lock, a Cache's load lease).
 * @module
 * @internal
 */

/**
 * Deletes `KEYS[1]` only if it still holds the token `ARGV[1]` (a key that expired and was taken
 * by another holder is left alone). Replies 1 when deleted, else 0.
 */
export const RELEASE_TOKEN_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
