/**
 * How a Cache entry is stored: one Redis string per key holding the metadata and the value.
 *
 * `bwc1|<generation>|<freshUntil>|<staleUntil>|<kind>|<payload>`: the generation is unique per
 * write (it is the token of the lost-update rule, read by the write script too); the times are
 * ms since the epoch from the writer's clock; the kind is `v` (a value, the payload its
 * serialized form), `u` (a cached `undefined`), `e` (a cached error of a class named in
 * `negativeErrors`, the payload JSON `[className, message]`) or `d` (a deletion marker: a miss
 * that keeps older loads from writing back).
 * Anything else (another format, another client's bytes, a payload the serializer cannot read)
 * decodes as a miss.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { ErrorClass } from '../../core/exceptions';
import type { CacheSerializer } from './options';

/** First bytes of every entry this format writes. */
const ENTRY_MAGIC = 'bwc1|';

/** The token of a key that holds nothing. */
const ABSENT_TOKEN = '';

/** The token of a key that holds something this format did not write. */
const FOREIGN_TOKEN = '!';

/** The generation, read exactly as the write script reads it (so that both agree on every text). */
const TOKEN = /^bwc1\|([^|]*)\|/;

/** The rest of the header after the generation: fresh-until, stale-until, kind. */
const REST = /^(\d+)\|(\d+)\|([vued])\|/;

/** Identifies this process in generations; a counter makes them unique within it. */
const PROCESS_NONCE = randomBytes(6).toString('hex');
let writeCounter = 0;

/** A generation no other write (in any process) has: this process's nonce and a counter. */
export function newGeneration(): string {
  return PROCESS_NONCE + (writeCounter++).toString(36);
}

/** A cached error: the name of its class and its message. */
export type StoredFailure = readonly [className: string, message: string];

/** What a read found under a key. */
export interface ReadEntry {
  /** The entry's generation, {@link ABSENT_TOKEN} or {@link FOREIGN_TOKEN}: what a later write compares. */
  readonly token: string;
  /** Whether it holds a value (or a cached `undefined` or error) that could be read; false for a miss of any kind. */
  readonly found: boolean;
  /** The value, when `found`. */
  readonly value: unknown;
  /** A cached error, `[className, message]`, when `found` holds one. */
  readonly failure?: StoredFailure;
  /** Until when the value is fresh, ms since the epoch (0 when not `found`). */
  readonly freshUntil: number;
  /** Until when it may be served stale while a refresh runs (`freshUntil` when not at all). */
  readonly staleUntil: number;
}

/** A miss that a write may replace if the key's token is still `token`. */
function miss(token: string): ReadEntry {
  return { token, found: false, value: undefined, freshUntil: 0, staleUntil: 0 };
}

const ABSENT = Object.freeze(miss(ABSENT_TOKEN));
const FOREIGN = Object.freeze(miss(FOREIGN_TOKEN));

/**
 * Reads what Redis returned for a key: never throws. A deletion marker, a foreign entry or a
 * payload the serializer refuses is a miss (with the token the write script will compute too,
 * so that a load may overwrite it).
 */
export function decodeEntry(text: string | null, serializer: CacheSerializer): ReadEntry {
  if (text === null) return ABSENT;
  const head = TOKEN.exec(text);
  if (head === null) return FOREIGN;
  const token = head[1] as string;
  const rest = text.slice(head[0].length);
  const header = REST.exec(rest);
  const kind = header?.[3];
  if (header === null || kind === 'd') return miss(token);
  const freshUntil = Number(header[1]);
  const staleUntil = Number(header[2]);
  if (kind === 'u') return { token, found: true, value: undefined, freshUntil, staleUntil };
  const payload = rest.slice(header[0].length);
  try {
    if (kind === 'v') return { token, found: true, value: serializer.deserialize(payload), freshUntil, staleUntil };
    const failure: unknown = JSON.parse(payload);
    if (Array.isArray(failure) && failure.length === 2 && typeof failure[0] === 'string' && typeof failure[1] === 'string') {
      return { token, found: true, value: undefined, failure: failure as unknown as StoredFailure, freshUntil, staleUntil };
    }
  } catch {
    // An unreadable payload is a miss, like any foreign entry.
  }
  return miss(token);
}

/**
 * The stored form of a value entry.
 * @param payload - the value, serialized
 */
export function encodeValue(generation: string, freshUntil: number, staleUntil: number, payload: string): string {
  return `${ENTRY_MAGIC}${generation}|${freshUntil}|${staleUntil}|v|${payload}`;
}

/** The stored form of a cached `undefined`. */
export function encodeUndefined(generation: string, freshUntil: number): string {
  return `${ENTRY_MAGIC}${generation}|${freshUntil}|${freshUntil}|u|`;
}

/** The stored form of a cached error. */
export function encodeFailure(generation: string, freshUntil: number, failure: StoredFailure): string {
  return `${ENTRY_MAGIC}${generation}|${freshUntil}|${freshUntil}|e|${JSON.stringify(failure)}`;
}

/** The stored form of a deletion marker. */
export function encodeDeletion(generation: string, now: number): string {
  return `${ENTRY_MAGIC}${generation}|${now}|${now}|d|`;
}

/**
 * An error like the cached one: an object of the class in `classes` of that name, with its
 * message, made without calling the constructor; undefined when no class has that name (the
 * entry is then a miss).
 */
export function rebuildFailure(failure: StoredFailure, classes: readonly ErrorClass[]): Error | undefined {
  const errorClass = classes.find((candidate) => candidate.name === failure[0]);
  if (errorClass === undefined) return undefined;
  const error = Object.create(errorClass.prototype as object) as Error;
  Object.defineProperty(error, 'message', { value: failure[1], writable: true, configurable: true });
  Error.captureStackTrace(error, rebuildFailure);
  return error;
}
