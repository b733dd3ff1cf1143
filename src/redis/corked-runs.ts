/**
 * Corks a connection's socket for the rest of a synchronous run, so that the commands sent in it
 * leave in one `writev` instead of one write system call each.
 * @module
 * @internal
 */
import type { Cluster, Redis } from 'ioredis';

/** The part of a connection's socket that corking uses. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

/** The connections whose socket is corked in the current synchronous run. */
const corked = new WeakSet<Redis | Cluster>();

/**
 * Corks `redis`'s socket until the current synchronous run ends (a microtask uncorks it), unless
 * it is corked for this run already. A no-op for a connection without a socket of its own (a
 * Cluster, whose commands go to the sockets of its nodes).
 *
 * Why: ioredis writes each command to the socket as it is sent, and each write is a system call
 * that costs the client more CPU than all else it does for a `GET` (over half of its busy time
 * in a CPU profile of 100 `GET`s in flight). Commands sent together (100 decisions handled
 * in one turn) then leave in one `writev`, when the run ends: no timer, and a command waits at
 * most for the rest of the run that sent it, during which its reply could not be read anyway.
 * Commands that other code sends on the connection in the same run leave with them, in order.
 */
export function corkForRun(redis: Redis | Cluster): void {
  if (corked.has(redis)) return;
  const socket = (redis as { readonly stream?: Partial<Corkable> }).stream;
  if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function') return;
  const corkable = socket as Corkable;
  corkable.cork();
  corked.add(redis);
  // Lifetime: the socket stays corked only until this microtask, even if the connection closes
  // or reconnects meanwhile (uncorking a closed socket does nothing).
  queueMicrotask(() => {
    corked.delete(redis);
    corkable.uncork();
  });
}
