/**
 * What the orchestrator of `npm run bench:overload` (bench/overload.ts) and its server process
 * (bench/overload-server.ts) share: the configurations and the messages between them. A module of
 * its own, so that the orchestrator does not start a server by importing the server's module.
 * @module
 */

/** The configurations, by name. */
export const CONFIGS = [
  'none',
  'bulkhead',
  'shedder',
  'shedder-critical',
  'shedder-queue-1',
  'shedder-no-queue',
  'gradient2',
  'vegas',
  'aimd-timeout',
  'aimd',
] as const;

/** One of {@link CONFIGS}. */
export type ConfigName = (typeof CONFIGS)[number];

/** A message from the orchestrator to the server. */
export type ServerCommand =
  | { readonly configure: ConfigName; readonly capacity: number; readonly scale: number; readonly halveAtMs?: number }
  | { readonly trace: true }
  | { readonly stop: true };
