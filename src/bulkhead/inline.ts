/**
 * A bulkhead's slots for a caller that runs its calls itself instead of through `execute` (the
 * fused policy of a guarded Redis client): it takes a free slot, runs the call, and frees the slot
 * when the call settles, as `execute` does on its path without a queue.
 * @module
 * @internal
 */

/** Key of a Bulkhead's {@link InlineBulkhead}. @internal */
export const inlineSlots: unique symbol = Symbol('bulwark.bulkhead.inlineSlots');

/** What a caller that runs calls itself asks a Bulkhead. @internal */
export interface InlineBulkhead {
  /** Takes a free slot: false when every slot is busy (the call must then go through `execute`, to queue or be refused). */
  acquire(): boolean;
  /** Frees a slot taken by `acquire` once its call has settled: hands it to the oldest queued call, if any. */
  release(): void;
}
