/**
 * The rows that read a cached value through a cache over Redis, 100 reads in flight per op, every
 * read a hit: raw ioredis `GET` + `JSON.parse` (the floor), bulwark's `Cache.getOrLoad` (defaults,
 * which send the reads of one tick as one MGET, and with `batchReads: false`: one GET per read),
 * bentocache's `getOrSet` on a Redis-only store (no memory layer), and cache-manager's `get` over
 * `@keyv/redis` (node-redis, which pipelines the commands of one tick by itself, on a connection of
 * its own). The ioredis-based rows share one ioredis connection per group, with ioredis's auto-pipelining
 * off and on. Every key is written in `setup` through its library's own API, under
 * {@link REDIS_PREFIX}, and deleted in `teardown`. Each loader-taking row's `verify` checks that
 * 200 concurrent misses of a cold key in this process ran its loader once.
 * @module
 */
import { BentoCache, bentostore } from 'bentocache';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache } from 'cache-manager';
import { createKeyv } from '@keyv/redis';
import type { Redis } from 'ioredis';
import type { BulwarkModule } from './bulwark';
import type { BenchCase, Group, Library } from './cases';
import { benchConnection, cleanUpsDone, REDIS_PREFIX, REDIS_URL } from './redis-connection';

/** Reads that one `fn` of these groups fires at once. */
const READS_IN_FLIGHT = 100;

/** Distinct keys the reads cycle through. */
const VALUE_KEYS = 100;

/** The value every key holds: an object whose JSON is 200 bytes. */
const VALUE = { id: 42, name: 'x'.repeat(160), tags: ['a', 'b'], at: 1_700_000_000 };

/** The same value as JSON, as the raw row stores it. */
const VALUE_JSON = JSON.stringify(VALUE);

/** How long every written value stays fresh: longer than any run. */
const TTL_MS = 3_600_000;

/** Concurrent misses of one cold key in each row's `verify`. */
const COLD_MISSES = 200;

/** Id of the group whose rows read without auto-pipelining. */
export const CACHE_HIT_GROUP = 'redis-cache-hit-100-in-flight';

/** Id of the group whose ioredis rows read with `enableAutoPipelining`. */
export const CACHE_HIT_PIPELINED_GROUP = 'redis-cache-hit-autopipelining-100-in-flight';

/** Slices per run: the rows share a server whose speed drifts with the machine's load. */
const SLICES = 4;

const rows =
  `ioredis: \`JSON.parse(await redis.get(key))\`; bulwark: \`cache.getOrLoad(key, loader)\` (Cache defaults: the reads of one tick in one MGET); ` +
  'bulwark-unbatched: the same with `batchReads: false` (one GET per read); ' +
  'bentocache 1.6: `getOrSet({ key, factory })` on `bentostore().useL2Layer(redisDriver({ connection: redis }))`; ' +
  'cache-manager 7: `get(key)` over `@keyv/redis` (node-redis 5, its own connection). ' +
  `${VALUE_KEYS} keys holding a ${VALUE_JSON.length}-byte JSON value, every read a hit, against ${REDIS_URL}`;

/** The groups of this module, in display order. */
export const REDIS_CACHE_GROUPS: readonly Group[] = [
  {
    id: CACHE_HIT_GROUP,
    label: `cache hit over Redis, ${READS_IN_FLIGHT} in flight (per call)`,
    description: `each op fires ${READS_IN_FLIGHT} reads at once and awaits them all; ns/op is PER CALL. ${rows}`,
    callsPerOp: READS_IN_FLIGHT,
    slices: SLICES,
  },
  {
    id: CACHE_HIT_PIPELINED_GROUP,
    label: `cache hit over Redis, auto-pipelined, ${READS_IN_FLIGHT} in flight (per call)`,
    description: `as \`${CACHE_HIT_GROUP}\`, the ioredis connection with \`enableAutoPipelining: true\``,
    callsPerOp: READS_IN_FLIGHT,
    slices: SLICES,
  },
];

/** Fires {@link READS_IN_FLIGHT} reads over `keys` and resolves to 1 when every one found the value. */
function readBatch(read: (key: string) => Promise<unknown>, keys: readonly string[]): () => Promise<number> {
  let index = 0;
  return async () => {
    const reads = new Array<Promise<unknown>>(READS_IN_FLIGHT);
    for (let i = 0; i < READS_IN_FLIGHT; i++) {
      reads[i] = read(keys[index] as string);
      index = index + 1 === VALUE_KEYS ? 0 : index + 1;
    }
    const values = await Promise.all(reads);
    for (let i = 0; i < READS_IN_FLIGHT; i++) if ((values[i] as typeof VALUE | undefined)?.name !== VALUE.name) return 0;
    return 1;
  };
}

/** The value, after a few ms: what every loader returns (never called on a hit). */
function slowLoad(): Promise<typeof VALUE> {
  return new Promise((resolve) => setTimeout(() => resolve(VALUE), 20));
}

/**
 * A `verify` that fires {@link COLD_MISSES} concurrent misses of a key nobody wrote through
 * `load(key, loader)` and throws unless the loader ran exactly once and every call got its value.
 */
function loadsOnce(row: string, load: (key: string, loader: () => Promise<typeof VALUE>) => Promise<unknown>): () => Promise<void> {
  let round = 0;
  return async () => {
    const key = `cold-${round++}`;
    let calls = 0;
    const loader = (): Promise<typeof VALUE> => {
      calls++;
      return slowLoad();
    };
    const values = await Promise.all(Array.from({ length: COLD_MISSES }, () => load(key, loader)));
    const wrong = values.filter((value) => (value as typeof VALUE | undefined)?.name !== VALUE.name).length;
    if (calls !== 1 || wrong !== 0) throw new Error(`bench: ${row}: ${COLD_MISSES} cold misses ran the loader ${calls} times, ${wrong} wrong values`);
  };
}

/** cache-manager over `@keyv/redis`, on a node-redis connection opened in `setup` and closed in `teardown`. */
function cacheManagerRow(group: string, keys: readonly string[]): BenchCase {
  let cache: ReturnType<typeof createCache> | undefined;
  const open = (): ReturnType<typeof createCache> => {
    if (cache === undefined) throw new Error(`bench: ${group}/cache-manager: read before setup`);
    return cache;
  };
  return {
    group,
    library: 'cache-manager',
    fn: readBatch((key) => open().get(key), keys),
    setup: async () => {
      await cleanUpsDone();
      cache = createCache({ stores: [createKeyv(REDIS_URL, { namespace: `${REDIS_PREFIX}${group}:keyv` })], ttl: TTL_MS });
      await cache.mset(keys.map((key) => ({ key, value: VALUE })));
    },
    verify: loadsOnce(`${group}/cache-manager`, (key, loader) => open().wrap(key, loader)),
    teardown: async () => {
      const closing = open();
      cache = undefined;
      await closing.clear();
      await closing.disconnect();
    },
  };
}

/** The rows of {@link REDIS_CACHE_GROUPS}; the caller has checked that Redis answers and bulwark has a redis entry. */
export function redisCacheCases(redisModule: NonNullable<BulwarkModule['redis']>): BenchCase[] {
  const cases: BenchCase[] = [];
  const group = (id: string, autoPipelining: boolean): void => {
    const keys = Array.from({ length: VALUE_KEYS }, (_, i) => `value-${i}`);
    const rawKeys = keys.map((key) => `${REDIS_PREFIX}${id}:raw:${key}`);
    let prepare: (redis: Redis) => Promise<void> = async () => {};
    const { redis, setup, teardown } = benchConnection({ autoPipelining }, (connection) => prepare(connection));
    const cache = new redisModule.Cache({ redis, prefix: `${REDIS_PREFIX}${id}:bulwark`, ttlMs: TTL_MS, name: `bench-cache-${id}`, registry: false });
    const unbatched = new redisModule.Cache({ redis, prefix: `${REDIS_PREFIX}${id}:bulwark`, ttlMs: TTL_MS, batchReads: false, name: `bench-cache-unbatched-${id}`, registry: false });
    const bento = new BentoCache({
      default: 'redis',
      ttl: TTL_MS,
      stores: { redis: bentostore().useL2Layer(redisDriver({ connection: redis, prefix: `${REDIS_PREFIX}${id}:bento` })) },
    });
    prepare = async (connection) => {
      await connection.mset(...rawKeys.flatMap((key) => [key, VALUE_JSON]));
      await Promise.all(keys.map((key) => cache.set(key, VALUE)));
      await Promise.all(keys.map((key) => bento.set({ key, value: VALUE })));
    };
    const checkNoFailure = (): void => {
      const degraded = cache.stats().degraded + unbatched.stats().degraded;
      if (degraded !== 0) throw new Error(`bench: ${id}/bulwark: ${degraded} Redis calls failed`);
    };
    const parse = (text: string | null): unknown => JSON.parse(text as string);
    const bulwarkLoader = (): Promise<typeof VALUE> => slowLoad();
    const bentoFactory = (): Promise<typeof VALUE> => slowLoad();
    const row = (library: Library, fn: () => Promise<number>, verify?: () => Promise<void>): BenchCase => ({
      group: id,
      library,
      fn,
      setup,
      ...(verify === undefined ? {} : { verify }),
      teardown,
    });
    cases.push(
      row('ioredis', readBatch((key) => redis.get(key).then(parse), rawKeys)),
      {
        ...row(
          'bulwark',
          readBatch((key) => cache.getOrLoad(key, bulwarkLoader), keys),
          loadsOnce(`${id}/bulwark`, (key, loader) => cache.getOrLoad(key, loader)),
        ),
        teardown: () => {
          teardown();
          checkNoFailure();
        },
      },
      {
        ...row(
          'bulwark-unbatched',
          readBatch((key) => unbatched.getOrLoad(key, bulwarkLoader), keys),
          loadsOnce(`${id}/bulwark-unbatched`, (key, loader) => unbatched.getOrLoad(key, loader)),
        ),
        teardown: () => {
          teardown();
          checkNoFailure();
        },
      },
      row(
        'bentocache',
        readBatch((key) => bento.getOrSet({ key, factory: bentoFactory }), keys),
        loadsOnce(`${id}/bentocache`, (key, factory) => bento.getOrSet({ key, factory })),
      ),
      cacheManagerRow(id, keys),
    );
  };
  group(CACHE_HIT_GROUP, false);
  group(CACHE_HIT_PIPELINED_GROUP, true);
  return cases;
}
