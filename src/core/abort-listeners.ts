/**
 * The listener list of a cancel scope that keeps its own instead of an `AbortSignal`'s (a call
 * under a Timeout, a request under the HTTP guard): a plain array, made on the first `listen`, so
 * that a scope nobody waits on costs nothing.
 * @module
 * @internal
 */
import type { AbortListener } from './context';

/** Takes `listener` out of `listeners`; a no-op when it is not there. */
export function removeListener(listeners: AbortListener[] | undefined, listener: AbortListener): void {
  if (listeners === undefined) return;
  const index = listeners.indexOf(listener);
  if (index >= 0) listeners.splice(index, 1);
}

/** Calls each of `listeners` once, in the order they were added. */
export function notifyListeners(listeners: readonly AbortListener[] | undefined): void {
  if (listeners === undefined) return;
  for (const listener of listeners) listener.handleEvent();
}
