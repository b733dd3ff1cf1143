/**
 * Every Redis call of a Cache, each run through the cache's Redis policy.
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import type { CircuitBreaker } from '../../circuit-breaker/index';
import { CallContext, type InternalContext } from '../../core/context';
import { runPolicy, type Policy } from '../../core/policy';
import type { Timeout } from '../../timeout/index';
import { corkForRun } from '../corked-runs';
import { InlineLayers } from '../inline-layers';
import { notReadyText, readinessOf, type Readiness } from '../readiness';
import { CACHE_DEFAULTS } from './options';
import { RELEASE_TOKEN_LUA } from '../scripts/release-token';
import { boundCommand, defineScript, scriptCommand, type ScriptCommand } from '../scripts/script-command';
import { REPLACE_LUA, TAG_LUA, TAKE_LEASE_LUA, TAKE_TAG_LUA, WRITE_IF_UNCHANGED_LUA } from './scripts';
import { ReadBatcher } from './read-batch';
import { groupBySlot } from './slots';

/** One write of {@link CacheRedis.writeManyIfUnchanged}. */
export interface UnchangedWrite {
  readonly key: string;
  readonly token: string;
  readonly text: string;
  readonly ttlMs: number;
}

/** What {@link CacheRedis.takeLease} found: 1 taken, 0 held by another, -1 the entry changed. */
export type LeaseOutcome = 1 | 0 | -1;

/**
 * The cache's Redis commands. A command is never sent while the connection is not ready: the
 * call waits for readiness (at most {@link CACHE_DEFAULTS.redisTimeoutMs}) and fails if it does
 * not come, so nothing sits in ioredis's offline queue to be replayed later.
 */
export class CacheRedis {
  readonly #redis: Redis | Cluster;
  readonly #policy: Policy;
  readonly #readiness: Readiness;
  readonly #write: ScriptCommand;
  /** The write script's command name, for pipelines. */
  readonly #writeName: string;
  readonly #replace: ScriptCommand;
  readonly #take: ScriptCommand;
  readonly #release: ScriptCommand;
  readonly #tag: ScriptCommand;
  readonly #takeTag: ScriptCommand;
  /** Whether the connection is a Cluster: multi-key commands are then split by slot. */
  readonly #cluster: boolean;
  /** GET of `ctx.key`: one function for every read, so that a read makes no closure. */
  readonly #get = (ctx: InternalContext): Promise<string | null> => {
    if (!this.#readiness.sendable()) return this.#getWhenReady(ctx.key as string);
    corkForRun(this.#redis);
    return this.#redis.get(ctx.key as string);
  };
  /** The default policy's layers run as one, when the cache made it: what a read on a ready connection goes through. */
  readonly #inline: InlineLayers | undefined;
  /** The reads of one tick, when they are batched (the `batchReads` option). */
  readonly #batcher: ReadBatcher | undefined;

  /**
   * @param policy - what every command runs through
   * @param layers - the layers of `policy` when it is the cache's default (`compose(breaker,
   *   timeout)`): reads then run through them as one (see {@link InlineLayers})
   * @param batchReads - whether {@link CacheRedis.read} sends the reads of one tick as one MGET
   */
  constructor(
    redis: Redis | Cluster,
    policy: Policy,
    layers: { readonly breaker: CircuitBreaker; readonly timeout: Timeout } | undefined,
    batchReads: boolean,
  ) {
    this.#redis = redis;
    this.#policy = policy;
    this.#inline = layers === undefined ? undefined : InlineLayers.of(layers.breaker, layers.timeout, undefined);
    this.#readiness = readinessOf(redis);
    this.#writeName = defineScript(redis, 'bulwarkCacheWrite', WRITE_IF_UNCHANGED_LUA);
    this.#write = boundCommand(redis, this.#writeName);
    this.#replace = scriptCommand(redis, 'bulwarkCacheReplace', REPLACE_LUA, 2);
    this.#take = scriptCommand(redis, 'bulwarkCacheLease', TAKE_LEASE_LUA, 2);
    this.#release = scriptCommand(redis, 'bulwarkCacheRelease', RELEASE_TOKEN_LUA);
    this.#tag = scriptCommand(redis, 'bulwarkCacheTag', TAG_LUA);
    this.#takeTag = scriptCommand(redis, 'bulwarkCacheTakeTag', TAKE_TAG_LUA);
    this.#cluster = (redis as Cluster).isCluster === true;
    this.#batcher = batchReads ? new ReadBatcher((key) => this.get(key), (keys) => this.readMany(keys)) : undefined;
  }

  /** The text stored under `key`, or null: one GET, or one read of this tick's MGET with `batchReads`. */
  read(key: string): Promise<string | null> {
    const batcher = this.#batcher;
    return batcher === undefined ? this.get(key) : batcher.read(key);
  }

  /**
   * The text stored under `key`, or null. The hot path of every hit: on a ready connection, the
   * default policy's layers run as one (no context, closure or option parsing per layer).
   */
  get(key: string): Promise<string | null> {
    const inline = this.#inline;
    if (inline !== undefined && this.#readiness.sendable()) {
      corkForRun(this.#redis);
      const sent = inline.run(this.#redis, 'get', [key]);
      if (sent !== undefined) return sent as Promise<string | null>;
    }
    return runPolicy(this.#policy, this.#get, new CallContext(1, key, 'normal', undefined, undefined));
  }

  /** Stores `text` under `entry` for `ttlMs` ms, whatever is there, and drops the entry's lease `lease`. */
  replace(entry: string, lease: string, text: string, ttlMs: number): Promise<unknown> {
    return this.#send(() => this.#replace(entry, lease, text, String(ttlMs)));
  }

  /** Stores `text` under `key` for `ttlMs` ms if the key's token is still `token`; true when written. */
  async writeIfUnchanged(key: string, token: string, text: string, ttlMs: number): Promise<boolean> {
    return (await this.#send(() => this.#write(key, token, text, String(ttlMs)))) === 1;
  }

  /**
   * Takes the lease `lease` of `entry` for `ttlMs` ms as `holder`, if nobody holds it and the
   * entry's token is still `token`: 1 when taken, 0 when held by another, -1 when the entry changed.
   */
  async takeLease(entry: string, lease: string, token: string, holder: string, ttlMs: number): Promise<LeaseOutcome> {
    const reply = await this.#send(() => this.#take(entry, lease, token, holder, String(ttlMs)));
    return reply === 1 ? 1 : reply === -1 ? -1 : 0;
  }

  /** Gives the lease `key` back if it still holds `token`. */
  releaseLease(key: string, token: string): Promise<unknown> {
    return this.#send(() => this.#release(key, token));
  }

  /**
   * The texts stored under `keys`, in order, for that many reads of one tick: one MGET on a
   * single node, through the default policy's layers as one, whose breaker counts the outcome
   * once per read (as many as the reads would have counted unbatched); otherwise as {@link CacheRedis.mget}.
   */
  readMany(keys: readonly string[]): Promise<(string | null)[]> {
    const inline = this.#inline;
    if (inline !== undefined && !this.#cluster && this.#readiness.sendable()) {
      corkForRun(this.#redis);
      const sent = inline.run(this.#redis, 'mget', keys as string[], keys.length);
      if (sent !== undefined) return sent as Promise<(string | null)[]>;
    }
    return this.mget(keys);
  }

  /** The texts stored under `keys`, in order: one MGET per slot (one in all on a single node), as one policy call. */
  mget(keys: readonly string[]): Promise<(string | null)[]> {
    return this.#send(async () => {
      const texts: (string | null)[] = new Array<string | null>(keys.length).fill(null);
      await Promise.all(
        groupBySlot(keys, this.#cluster).map(async (group) => {
          const found = await this.#redis.mget(...group.map((index) => keys[index] as string));
          group.forEach((index, position) => (texts[index] = found[position] ?? null));
        }),
      );
      return texts;
    });
  }

  /**
   * Many compare-and-set writes (see {@link CacheRedis.writeIfUnchanged}) in one pipeline per
   * slot (one in all on a single node), as one policy call. Resolves with how many were written.
   */
  writeManyIfUnchanged(writes: readonly UnchangedWrite[]): Promise<number> {
    return this.#send(async () => {
      let written = 0;
      const keys = writes.map((write) => write.key);
      await Promise.all(
        groupBySlot(keys, this.#cluster).map(async (group) => {
          const pipeline = this.#redis.pipeline() as unknown as Record<string, (...args: string[]) => unknown> & { exec(): Promise<[Error | null, unknown][] | null> };
          for (const index of group) {
            const write = writes[index] as UnchangedWrite;
            pipeline[this.#writeName]!(write.key, write.token, write.text, String(write.ttlMs));
          }
          for (const [error, reply] of (await pipeline.exec()) ?? []) {
            if (error !== null) throw error;
            if (reply === 1) written++;
          }
        }),
      );
      return written;
    });
  }

  /** Adds the entry `entry` to each tag set in `tagKeys`, keeping each set at least `ttlMs` ms. */
  tag(tagKeys: readonly string[], entry: string, ttlMs: number): Promise<unknown> {
    return this.#send(() => Promise.all(tagKeys.map((tagKey) => this.#tag(tagKey, entry, String(ttlMs)))));
  }

  /** The entries of the tag set `tagKey`, which is deleted at once. */
  async takeTag(tagKey: string): Promise<string[]> {
    return (await this.#send(() => this.#takeTag(tagKey))) as string[];
  }

  /** Sends `command` through the policy, once the connection is ready. */
  #send<T>(command: () => Promise<T>): Promise<T> {
    return this.#policy.execute(async () => {
      if (!this.#readiness.sendable()) await this.#whenReady();
      corkForRun(this.#redis);
      return command();
    });
  }

  async #getWhenReady(key: string): Promise<string | null> {
    await this.#whenReady();
    return this.#redis.get(key);
  }

  /** Waits (at most {@link CACHE_DEFAULTS.redisTimeoutMs}) until a command can be sent; throws if none can be. */
  async #whenReady(): Promise<void> {
    const readiness = this.#readiness;
    const outcome = await readiness.wait(CACHE_DEFAULTS.redisTimeoutMs);
    if (!readiness.sendable()) {
      throw new Error(`Redis connection ${notReadyText(outcome, CACHE_DEFAULTS.redisTimeoutMs)} (status: ${this.#redis.status})`);
    }
  }
}
