import type { Cluster, Redis } from 'ioredis';

/** Commands ioredis holds for `redis`: queued while offline, and sent but not yet answered. */
export function heldCommands(redis: Redis | Cluster): { offline: number; sent: number } {
  const internals = redis as unknown as { offlineQueue: { length: number }; commandQueue?: { length: number } };
  return { offline: internals.offlineQueue.length, sent: internals.commandQueue?.length ?? 0 };
}

/** The rejection of `promise`, which must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}
