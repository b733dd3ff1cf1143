/**
 * `getManyOrLoad`: many keys in one read, one batch load for the misses, one pipelined write.
 * @module
 */
import type { ExecutionContext, Policy } from '../../core/policy';
import type { CacheSignals } from './signals';
import { decodeEntry, type ReadEntry } from './entry';
import type { CacheLoads } from './loads';
import type { CacheRedis, UnchangedWrite } from './redis-calls';
import type { CacheSettings } from './settings';
import type { Flight, Flights } from './singleflight';

/**
 * Loads the values of many keys at once, e.g. with one `WHERE id IN (…)`: returns one value per
 * key of `keys`, in the same order (`undefined` for a key without one). `ctx.signal` aborts when
 * the load has run for `loadTimeoutMs`.
 */
export type BatchLoader<T> = (keys: string[], ctx: ExecutionContext) => readonly (T | undefined)[] | PromiseLike<readonly (T | undefined)[]>;

/** The parts of a cache that `getManyOrLoad` uses. */
export interface BatchParts {
  readonly settings: CacheSettings;
  readonly redis: CacheRedis;
  readonly signals: CacheSignals;
  readonly flights: Flights;
  readonly loads: CacheLoads;
  readonly loaderPolicy: Policy;
  /** What a failed Redis call does: undefined under `'degrade'`; throws under `'throw'`. */
  readonly redisFailed: (error: unknown) => undefined;
}

/**
 * The values of `keys`: fresh ones from one read (one MGET, one per slot on a Cluster), the
 * others from one call of `batchLoader` with just those keys (those with a load in progress in
 * this process join it instead), written back in one pipeline with the lost-update rule.
 */
export async function getMany<T>(parts: BatchParts, keys: readonly string[], batchLoader: BatchLoader<T>, ttlMs: number | undefined): Promise<(T | undefined)[]> {
  const { settings, signals, flights } = parts;
  const unique = [...new Set(keys)];
  const redisKeys = unique.map((key) => settings.keys.entry(key));
  let reads: (ReadEntry | undefined)[];
  try {
    reads = (await parts.redis.mget(redisKeys)).map((text) => decodeEntry(text, settings.serializer));
  } catch (error) {
    reads = unique.map(() => parts.redisFailed(error));
  }
  const now = settings.clock.now();
  const answers = new Map<string, Promise<T | undefined> | T | undefined>();
  const missing: number[] = [];
  unique.forEach((key, index) => {
    const read = reads[index];
    if (read !== undefined && read.found && read.freshUntil > now) {
      signals.hit(key);
      answers.set(key, read.value as T | undefined);
      return;
    }
    signals.miss(key);
    const flight = flights.get(redisKeys[index] as string);
    if (flight === undefined) missing.push(index);
    else answers.set(key, flight.promise as Promise<T | undefined>);
  });
  if (missing.length > 0) loadMissing(parts, unique, redisKeys, reads, missing, batchLoader, ttlMs, answers);
  return Promise.all(keys.map((key) => answers.get(key)));
}

/** Starts one batch load for the keys at `missing`, one flight per key, and the pipelined write. */
function loadMissing<T>(
  parts: BatchParts,
  unique: readonly string[],
  redisKeys: readonly string[],
  reads: readonly (ReadEntry | undefined)[],
  missing: readonly number[],
  batchLoader: BatchLoader<T>,
  ttlMs: number | undefined,
  answers: Map<string, Promise<T | undefined> | T | undefined>,
): void {
  const batchKeys = missing.map((index) => unique[index] as string);
  const started: Flight<T | undefined>[] = [];
  const controller = new AbortController();
  const startedAt = parts.signals.loading();
  const loaded = Promise.resolve(
    parts.loaderPolicy.execute((ctx) => batchLoader(batchKeys, ctx), { signal: controller.signal }),
  ).then(async (values) => {
    if (!Array.isArray(values) || values.length !== batchKeys.length) {
      throw new TypeError(`batchLoader must return one value per key (${batchKeys.length}), got ${Array.isArray(values) ? values.length : typeof values}`);
    }
    await writeLoaded(parts, missing, redisKeys, reads, values as readonly (T | undefined)[], started, ttlMs);
    return values as readonly (T | undefined)[];
  });
  loaded.then(
    () => parts.signals.loaded(batchKeys, startedAt),
    (error: unknown) => parts.signals.loadFailed(batchKeys, error, startedAt),
  );
  missing.forEach((index, position) => {
    const flight = parts.flights.start<T | undefined>(redisKeys[index] as string, async (own) => {
      own.signal.addEventListener('abort', () => controller.abort(own.signal.reason), { once: true });
      return (await loaded)[position];
    });
    started.push(flight);
    answers.set(unique[index] as string, flight.promise);
  });
}

/** Writes the loaded values whose read succeeded and whose flight is not abandoned, in one pipeline. */
async function writeLoaded<T>(
  parts: BatchParts,
  missing: readonly number[],
  redisKeys: readonly string[],
  reads: readonly (ReadEntry | undefined)[],
  values: readonly (T | undefined)[],
  flights: readonly Flight<T | undefined>[],
  ttlMs: number | undefined,
): Promise<void> {
  const writes: UnchangedWrite[] = [];
  missing.forEach((index, position) => {
    const read = reads[index];
    if (read === undefined || flights[position]?.abandoned === true) return;
    const entry = parts.loads.encodeLoaded(values[position], ttlMs);
    if (entry !== undefined) writes.push({ key: redisKeys[index] as string, token: read.token, text: entry.text, ttlMs: entry.ttlMs });
  });
  if (writes.length === 0) return;
  try {
    await parts.redis.writeManyIfUnchanged(writes);
  } catch (error) {
    parts.signals.degraded(error);
  }
}
