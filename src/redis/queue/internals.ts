/**
 * What a RedisQueue shares with its workers.
 * @module
 * @internal
 */
import type { EventHub, ListenerQuery } from '../../core/events';
import type { BackoffSettings } from '../../retry/backoff';
import { RETRY_DEFAULTS } from '../../retry/index';
import type { RedisQueueEvents } from './events';
import type { JobBackoff } from './options';
import type { QueueKeys } from './keys';
import type { RedisCalls } from './redis-calls';

/** Counters kept in this process, for the registry's health report. */
export interface QueueCounters {
  /** Jobs this process added (idempotent adds that found their id not counted). */
  added: number;
  /** Jobs this process's workers completed. */
  completed: number;
  /** Tries that failed in this process's workers. */
  failed: number;
  /** Retries those failures scheduled. */
  retried: number;
  /** Jobs this process's workers dead-lettered (stalled ones included). */
  dead: number;
  /** Stalled jobs this process's workers swept. */
  stalled: number;
}

/** The parts of a queue its workers use. */
export interface QueueInternals {
  readonly name: string;
  readonly keys: QueueKeys;
  readonly calls: RedisCalls;
  readonly hub: EventHub<RedisQueueEvents>;
  /** Who listens to the events raised once per job (`hub.query`, made once: asked on every job). */
  readonly listeners: { readonly added: ListenerQuery; readonly active: ListenerQuery; readonly completed: ListenerQuery };
  readonly counters: QueueCounters;
  readonly backoff: BackoffSettings;
  readonly removeOnComplete: boolean;
  /** Whether scripts get the client's time (`timeSource: 'client'`) rather than reading the server's. */
  readonly clientTime: boolean;
  /** The first argument of every script: `Date.now()` for the client time source, `''` for the server's. */
  now(): string;
}

/** The Retry pattern's default backoff: exponential from 100 ms, ×2, at most 30 s, full jitter. */
export const DEFAULT_BACKOFF: BackoffSettings = {
  kind: RETRY_DEFAULTS.backoff,
  initialDelayMs: RETRY_DEFAULTS.initialDelayMs,
  multiplier: RETRY_DEFAULTS.multiplier,
  maxDelayMs: RETRY_DEFAULTS.maxDelayMs,
  jitter: RETRY_DEFAULTS.jitter,
  random: Math.random,
};

/** The backoff of a job: its own fields over the queue's. */
export function backoffOf(defaults: BackoffSettings, own: JobBackoff | undefined): BackoffSettings {
  if (own === undefined) return defaults;
  return {
    kind: own.type ?? defaults.kind,
    initialDelayMs: own.initialDelayMs ?? defaults.initialDelayMs,
    multiplier: own.multiplier ?? defaults.multiplier,
    maxDelayMs: own.maxDelayMs ?? defaults.maxDelayMs,
    jitter: own.jitter ?? defaults.jitter,
    random: defaults.random,
  };
}
