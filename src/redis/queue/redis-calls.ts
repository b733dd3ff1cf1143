/**
 * The queue's Redis calls: its scripts, defined once per connection, each call run through a
 * CircuitBreaker and a Timeout, after a bounded wait for the connection to be ready.
 * @module
 * @internal
 */
import type { Cluster, Redis } from 'ioredis';
import type { CircuitBreaker } from '../../circuit-breaker/index';
import { compose, type Pipeline } from '../../core/policy';
import { Timeout } from '../../timeout/index';
import { InlineLayers } from '../inline-layers';
import { readinessOf, type Readiness } from '../readiness';
import { defineScript } from '../scripts/script-command';
import { QueueConnectionError } from './errors';
import * as lua from './lua';

/** A script: its Lua and how many of its arguments are keys. */
interface ScriptSpec {
  readonly lua: string;
  readonly keys: number;
}

const SCRIPTS = {
  add: { lua: lua.ADD, keys: 5 },
  fetch: { lua: lua.FETCH, keys: 8 },
  complete: { lua: lua.COMPLETE, keys: 3 },
  fail: { lua: lua.FAIL, keys: 7 },
  release: { lua: lua.RELEASE, keys: 4 },
  reclaim: { lua: lua.RECLAIM, keys: 4 },
  extend: { lua: lua.EXTEND, keys: 2 },
  cancel: { lua: lua.CANCEL, keys: 3 },
  retryDead: { lua: lua.RETRY_DEAD, keys: 5 },
  clean: { lua: lua.CLEAN, keys: 2 },
  stats: { lua: lua.STATS, keys: 5 },
} satisfies Record<string, ScriptSpec>;

/** The name of each script. */
export type ScriptName = keyof typeof SCRIPTS;

type Command = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/**
 * Runs the queue's scripts and commands on one connection. The command names carry the script's
 * fingerprint, so that another copy of bulwark sharing the connection never lends this one a
 * different script; ioredis sends EVALSHA and falls back to EVAL after a `SCRIPT FLUSH` or a
 * failover by itself.
 */
export class RedisCalls {
  readonly redis: Redis | Cluster;
  /** Breaker and timeout, outermost first. */
  readonly policy: Pipeline;
  readonly breaker: CircuitBreaker;
  readonly #names: Record<ScriptName, string>;
  readonly #readiness: Readiness;
  readonly #timeoutMs: number;
  /** The breaker and the timeout run as one, for a script sent on a ready connection (see {@link InlineLayers}). */
  readonly #inline: InlineLayers | undefined;

  constructor(redis: Redis | Cluster, breaker: CircuitBreaker, timeoutMs: number, name: string) {
    this.redis = redis;
    this.breaker = breaker;
    this.#timeoutMs = timeoutMs;
    this.#readiness = readinessOf(redis);
    const timeout = new Timeout({ timeoutMs, name: `${name}:redis-timeout`, registry: false });
    this.policy = compose(breaker, timeout);
    this.#inline = InlineLayers.of(breaker, timeout, undefined);
    const names = {} as Record<ScriptName, string>;
    for (const [script, spec] of Object.entries(SCRIPTS) as [ScriptName, ScriptSpec][]) {
      names[script] = defineScript(redis, `bulwarkQueue_${script}`, spec.lua, spec.keys);
    }
    this.#names = names;
  }

  /**
   * Runs `script` with `keys` then `args`, through the breaker and the timeout. On a ready
   * connection with a closed circuit (every add and completion of a healthy queue) the two run as
   * one: no closure, async function or promise per layer; otherwise through {@link RedisCalls.call}.
   */
  script(script: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const inline = this.#inline;
    if (inline !== undefined && this.#readiness.sendable()) {
      const sent = inline.run(this.redis, this.#names[script], [keys, args]);
      if (sent !== undefined) return sent;
    }
    return this.call(() => this.send(script, keys, args));
  }

  /**
   * Sends `script` as it is: no breaker, no timeout, no wait for the connection. Keys and
   * arguments go as two arrays, which ioredis flattens into the command's own (no copy of ours),
   * never spread into the call: `addBulk` sends 3 arguments per job, which for a large batch are
   * more than a call's stack takes.
   */
  send(script: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return (this.redis as unknown as Record<string, Command>)[this.#names[script]]!(keys, args);
  }

  /**
   * Sends `script` as it is on `connection`, another connection to the same server or Cluster (a
   * worker's blocking one), defining the script there first when it lacks it.
   */
  sendOn(connection: Redis | Cluster, script: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const name = this.#names[script];
    const commands = connection as unknown as Record<string, Command | undefined>;
    // The name is looked up before defineScript, which hashes the Lua to name it.
    if (typeof commands[name] !== 'function') defineScript(connection, `bulwarkQueue_${script}`, SCRIPTS[script].lua, SCRIPTS[script].keys);
    return (commands[name] as Command)(keys, args);
  }

  /** Runs `send` through the breaker and the timeout, first waiting (within the timeout) for the connection. */
  call<T>(send: () => Promise<T>): Promise<T> {
    return this.policy.execute(async () => {
      const redis = this.redis;
      const readiness = this.#readiness;
      if (redis.status !== 'ready') {
        const outcome = await readiness.wait(this.#timeoutMs);
        if (outcome !== 'ready') throw new QueueConnectionError(outcome, redis.status);
      }
      if (!readiness.sendable()) throw new QueueConnectionError('closing', redis.status);
      return send();
    });
  }
}
