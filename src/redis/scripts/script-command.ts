/**
 * How bulwark names the Lua scripts it defines on a connection, and defines them there once.
 * @module
 * @internal
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** A script command as ioredis's `defineCommand` adds it to the connection: keys, then arguments. */
export type ScriptCommand = (...keysThenArgs: string[]) => Promise<unknown>;

/**
 * The command name of the script `lua`: `stem`, then the script's fingerprint, so that two copies
 * of bulwark with different scripts never run each other's under one name.
 */
export function commandName(stem: string, lua: string): string {
  return `${stem}_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`;
}

/**
 * Defines the script `lua`, taking `numberOfKeys` keys, as a command of `redis` unless a command
 * of its name is there already, and returns that name (see {@link commandName}). ioredis runs it
 * with EVALSHA and falls back to EVAL on NOSCRIPT by itself.
 */
export function defineScript(redis: Redis | Cluster, stem: string, lua: string, numberOfKeys = 1): string {
  const name = commandName(stem, lua);
  if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function') redis.defineCommand(name, { numberOfKeys, lua });
  return name;
}

/** The command `name` of `redis` (a script {@link defineScript} defined), bound to it. */
export function boundCommand(redis: Redis | Cluster, name: string): ScriptCommand {
  return ((redis as unknown as Record<string, ScriptCommand>)[name] as ScriptCommand).bind(redis);
}

/** The script `lua` as a command of `redis` (see {@link defineScript}), bound to it. */
export function scriptCommand(redis: Redis | Cluster, stem: string, lua: string, numberOfKeys = 1): ScriptCommand {
  return boundCommand(redis, defineScript(redis, stem, lua, numberOfKeys));
}
