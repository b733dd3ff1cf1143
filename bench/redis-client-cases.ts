/**
 * The rows that read through a Redis client, 100 reads in flight per op: raw ioredis `GET` against
 * the same `GET` through `guardRedis` (its default CircuitBreaker, Timeout and Bulkhead), with
 * ioredis's auto-pipelining off and on. Each group has one connection shared by its rows, and
 * {@link VALUE_KEYS} keys holding a 200-byte JSON value, written in `setup`. The cache-hit groups
 * of `redis-cache-cases.ts` join these (same prerequisites).
 * @module
 */
import type { Redis } from 'ioredis';
import type { BulwarkModule } from './bulwark';
import type { BenchCase, Group } from './cases';
import { REDIS_CACHE_GROUPS, redisCacheCases } from './redis-cache-cases';
import { benchConnection, REDIS_PREFIX, REDIS_URL, redisAnswers } from './redis-connection';

/** Reads that one `fn` of these groups fires at once. */
export const READS_IN_FLIGHT = 100;

/** Distinct keys the reads cycle through. */
const VALUE_KEYS = 100;

/** The value every key holds: 200 bytes of JSON. */
const VALUE = JSON.stringify({ id: 42, name: 'x'.repeat(160), tags: ['a', 'b'], at: 1_700_000_000 });

/** Id of the group whose rows read without auto-pipelining. */
export const REDIS_GET_GROUP = 'redis-get-100-in-flight';

/** Id of the group whose rows read with ioredis's `enableAutoPipelining`. */
export const REDIS_GET_PIPELINED_GROUP = 'redis-get-autopipelining-100-in-flight';

/** Slices per run: the rows share a server whose speed drifts with the machine's load. */
const SLICES = 4;

const rows =
  `ioredis: \`redis.get(key)\`; bulwark: the same through \`guardRedis(redis)\` with its defaults. ${VALUE_KEYS} keys of ` +
  `${VALUE.length} bytes, one connection per group against ${REDIS_URL}`;

/** The groups of this module, in display order. */
export const REDIS_CLIENT_GROUPS: readonly Group[] = [
  {
    id: REDIS_GET_GROUP,
    label: `redis GET, ${READS_IN_FLIGHT} in flight (per call)`,
    description: `each op fires ${READS_IN_FLIGHT} GETs at once and awaits them all; ns/op is PER CALL. ${rows}`,
    callsPerOp: READS_IN_FLIGHT,
    slices: SLICES,
  },
  {
    id: REDIS_GET_PIPELINED_GROUP,
    label: `redis GET, auto-pipelined, ${READS_IN_FLIGHT} in flight (per call)`,
    description: `as \`${REDIS_GET_GROUP}\`, on a connection with \`enableAutoPipelining: true\``,
    callsPerOp: READS_IN_FLIGHT,
    slices: SLICES,
  },
  ...REDIS_CACHE_GROUPS,
];

/** Fires {@link READS_IN_FLIGHT} reads over the keys and resolves to 1 when every one found the value. */
function readBatch(read: (key: string) => Promise<string | null>, keys: readonly string[]): () => Promise<number> {
  let index = 0;
  return async () => {
    const reads = new Array<Promise<string | null>>(READS_IN_FLIGHT);
    for (let i = 0; i < READS_IN_FLIGHT; i++) {
      reads[i] = read(keys[index] as string);
      index = index + 1 === VALUE_KEYS ? 0 : index + 1;
    }
    const values = await Promise.all(reads);
    for (let i = 0; i < READS_IN_FLIGHT; i++) if (values[i] !== VALUE) return 0;
    return 1;
  };
}

/** The rows of {@link REDIS_CLIENT_GROUPS}, or none (and a note) without Redis or a redis entry. */
export function redisClientCases(bulwark: BulwarkModule, notes: string[]): BenchCase[] {
  const redisModule = bulwark.redis;
  if (redisModule === undefined || !redisAnswers) {
    notes.push(`redis-get-* and redis-cache-* groups skipped: ${redisModule === undefined ? 'the measured bulwark has no redis entry' : `Redis at ${REDIS_URL} did not answer`}`);
    return [];
  }
  const cases: BenchCase[] = [];
  const group = (id: string, autoPipelining: boolean): void => {
    const keys = Array.from({ length: VALUE_KEYS }, (_, i) => `${REDIS_PREFIX}${id}:${i}`);
    const writeValues = async (redis: Redis): Promise<void> => {
      await redis.mset(...keys.flatMap((key) => [key, VALUE]));
    };
    const { redis, setup, teardown } = benchConnection({ autoPipelining }, writeValues);
    const guarded = redisModule.guardRedis(redis, { name: `bench-guard-${id}`, registry: false });
    const guard = redisModule.guardOf(guarded);
    const checkNoFailure = (): void => {
      const { state } = guard?.circuitBreaker?.stats() ?? { state: 'closed' };
      if (state !== 'closed') throw new Error(`bench: ${id}/bulwark: the guard's breaker is ${state}`);
    };
    cases.push(
      { group: id, library: 'ioredis', fn: readBatch((key) => redis.get(key), keys), setup, teardown },
      {
        group: id,
        library: 'bulwark',
        fn: readBatch((key) => guarded.get(key), keys),
        setup,
        verify: async () => checkNoFailure(),
        teardown: () => {
          teardown();
          checkNoFailure();
        },
      },
    );
  };
  group(REDIS_GET_GROUP, false);
  group(REDIS_GET_PIPELINED_GROUP, true);
  cases.push(...redisCacheCases(redisModule));
  return cases;
}
