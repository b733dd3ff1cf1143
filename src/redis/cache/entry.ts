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

/** `|`, the separator of the header's fields. */
const BAR = 0x7c;

/** `0` and `9`: the header's times are ASCII digits. */
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** The kinds, as char codes. */
const VALUE_KIND = 0x76; // v
const UNDEFINED_KIND = 0x75; // u
const ERROR_KIND = 0x65; // e

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
 * so that a load may overwrite it). The header is scanned once by char code, with no regex and
 * no substring but the token and the payload.
 */
export function decodeEntry(text: string | null, serializer: CacheSerializer): ReadEntry {
  if (text === null) return ABSENT;
  // The token is what follows `bwc1|` up to the next `|`, exactly as the write script reads it.
  const tokenEnd = text.startsWith(ENTRY_MAGIC) ? text.indexOf('|', ENTRY_MAGIC.length) : -1;
  if (tokenEnd === -1) return FOREIGN;
  const token = text.slice(ENTRY_MAGIC.length, tokenEnd);
  // Then `<freshUntil>|<staleUntil>|<kind>|`: two runs of digits and one kind letter.
  const freshEnd = digitsEnd(text, tokenEnd + 1);
  const staleEnd = freshEnd === -1 ? -1 : digitsEnd(text, freshEnd + 1);
  if (staleEnd === -1 || text.charCodeAt(staleEnd + 2) !== BAR) return miss(token);
  const kind = text.charCodeAt(staleEnd + 1);
  if (kind !== VALUE_KIND && kind !== UNDEFINED_KIND && kind !== ERROR_KIND) return miss(token);
  const freshUntil = Number(text.slice(tokenEnd + 1, freshEnd));
  const staleUntil = Number(text.slice(freshEnd + 1, staleEnd));
  if (kind === UNDEFINED_KIND) return { token, found: true, value: undefined, freshUntil, staleUntil };
  const payload = text.slice(staleEnd + 3);
  try {
    if (kind === VALUE_KIND) return { token, found: true, value: serializer.deserialize(payload), freshUntil, staleUntil };
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
 * Where the run of ASCII digits at `start` of `text` ends, when at least one digit is there and a
 * `|` follows it; -1 otherwise.
 */
function digitsEnd(text: string, start: number): number {
  let at = start;
  let code = text.charCodeAt(at);
  while (code >= DIGIT_0 && code <= DIGIT_9) code = text.charCodeAt(++at);
  return at > start && code === BAR ? at : -1;
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
