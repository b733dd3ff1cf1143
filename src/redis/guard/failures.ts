/**
 * Which errors of a Redis call say that Redis is unavailable (and count for a circuit breaker),
 * and which are only the command's own error.
 * @module
 */

/**
 * The error replies that say the server cannot serve right now, not that the command was wrong:
 * a replica that refuses writes (`READONLY`, after a failover), a server loading its dataset
 * (`LOADING`), a Cluster migrating slots or missing a master (`TRYAGAIN`, `CLUSTERDOWN`,
 * `MASTERDOWN`), and a server busy running a script past its time limit (`BUSY`).
 */
export const UNAVAILABLE_REPLY_PREFIXES: readonly string[] = ['READONLY', 'LOADING', 'TRYAGAIN', 'CLUSTERDOWN', 'MASTERDOWN', 'BUSY'];

const unavailableReplies: ReadonlySet<string> = new Set(UNAVAILABLE_REPLY_PREFIXES);

/**
 * Whether `error`, the rejection of a Redis call, says that Redis is unavailable: the default
 * `exceptions.handle` of a guarded client's CircuitBreaker (and of its Retry).
 *
 * - An error reply (ioredis's `ReplyError`) counts when its first word is one of
 *   {@link UNAVAILABLE_REPLY_PREFIXES}; every other reply (`WRONGTYPE`, `NOSCRIPT`, `ERR …` for a
 *   syntax or arity error or a failing script, `OOM`, `NOAUTH`, …) is the command's own error:
 *   the server answered, so it does not count.
 * - Every other error counts: a timeout, a connection that is closed, refused, reset or not ready
 *   in time, ioredis's `MaxRetriesPerRequestError`, a Cluster that cannot reach any node.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!isReplyError(error)) return true;
  const message = error.message;
  const space = message.indexOf(' ');
  return unavailableReplies.has(space < 0 ? message : message.slice(0, space));
}

/**
 * An error reply from the server. ioredis 5 and 6 both throw redis-errors' `ReplyError` for them;
 * it is recognised by name, so that bulwark needs no runtime import of ioredis.
 */
function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}
