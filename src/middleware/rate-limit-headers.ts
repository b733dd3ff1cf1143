/**
 * The rate-limit header fields of a response: the IETF `RateLimit-Policy` and `RateLimit` fields
 * (draft-ietf-httpapi-ratelimit-headers-10/11, Structured Field lists), and the legacy
 * `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`.
 *
 * `RateLimit-Policy: "api";q=100;w=60` names each window (quota `q` per `w` seconds);
 * `RateLimit: "api";r=42;t=17` says what remains (`r`) of the window that binds this request and in
 * how many seconds (`t`) it is full again. A limiter with several windows names them
 * `"<name>-1"`, `"<name>-2"`, … in the order of its `limits`.
 * @see https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/
 * @module
 */
import type { RateLimitResult, RateLimitRule } from '../rate-limiter/store';

/**
 * Which rate-limit header fields the guard writes, on allowed and refused responses:
 * `'draft'` (`RateLimit-Policy`, `RateLimit`), `'legacy'` (`X-RateLimit-*`), `'both'`, or `false`.
 */
export type RateLimitHeaderStyle = 'draft' | 'legacy' | 'both' | false;

/** Receives the header fields: a response, or an adapter's exchange. */
export interface HeaderTarget {
  /** Sets one header field. */
  setHeader(name: string, value: string): void;
}

/**
 * Writes the header fields of one limiter's decisions. What stays the same from one response to
 * the next (the policy field, each window's `"<id>";r=` prefix, the legacy limit) is built once;
 * the numbers are formatted for each response (its `remaining` is its own).
 */
export class RateLimitHeaders {
  readonly #draft: boolean;
  readonly #legacy: boolean;
  readonly #policy: string;
  /** The `RateLimit` field's start, `"<id>";r=`, of each window, in the order of the rule's windows. */
  readonly #prefixes: readonly string[];
  /** The prefix of each limit's first window, for a result that names its window by its limit only. */
  readonly #prefixesByLimit: ReadonlyMap<number, string>;
  /** The text of each window's limit, for `X-RateLimit-Limit`. */
  readonly #limitTexts: ReadonlyMap<number, string>;

  /**
   * @param rule - the limiter's rule
   * @param style - which fields to write
   */
  constructor(rule: RateLimitRule, style: Exclude<RateLimitHeaderStyle, false>) {
    this.#draft = style !== 'legacy';
    this.#legacy = style !== 'draft';
    const name = rule.name ?? 'default';
    const windows = rule.windows;
    const prefixes: string[] = [];
    const prefixesByLimit = new Map<number, string>();
    const limitTexts = new Map<number, string>();
    const items: string[] = [];
    windows.forEach((window, index) => {
      const id = sfString(windows.length === 1 ? name : `${name}-${index + 1}`);
      prefixes.push(`${id};r=`);
      if (!prefixesByLimit.has(window.limit)) prefixesByLimit.set(window.limit, `${id};r=`);
      limitTexts.set(window.limit, String(window.limit));
      items.push(`${id};${policyQuota(window.limit, window.windowMs)}`);
    });
    this.#prefixes = prefixes;
    this.#prefixesByLimit = prefixesByLimit;
    this.#limitTexts = limitTexts;
    this.#policy = items.join(', ');
  }

  /** Writes the fields of `result`. */
  write(result: RateLimitResult, target: HeaderTarget): void {
    if (this.#draft) {
      target.setHeader('RateLimit-Policy', this.#policy);
      const prefix = this.#prefixOf(result);
      target.setHeader('RateLimit', `${prefix}${result.remaining};t=${Math.ceil(result.resetMs / 1000)}`);
    }
    if (this.#legacy) {
      target.setHeader('X-RateLimit-Limit', this.#limitTexts.get(result.limit) ?? String(result.limit));
      target.setHeader('X-RateLimit-Remaining', String(result.remaining));
      target.setHeader('X-RateLimit-Reset', String(Math.ceil((Date.now() + result.resetMs) / 1000)));
    }
  }

  /** The prefix of the window `result` describes: by its index, else the first of its limit, else the first window's. */
  #prefixOf(result: RateLimitResult): string {
    const prefixes = this.#prefixes;
    const index = result.windowIndex;
    return (index === undefined ? undefined : prefixes[index]) ?? this.#prefixesByLimit.get(result.limit) ?? (prefixes[0] as string);
  }
}

/**
 * A window's `q=…;w=…`: `w` is whole seconds, so a window of another length (a sub-second window, a
 * token bucket refilled in 100 ms) is stated at its rate over the next whole second count
 * (`limit` per 100 ms → `q=10×limit;w=1`), never as `limit` per second, which would say ten times
 * less than the limiter allows.
 */
function policyQuota(limit: number, windowMs: number): string {
  const seconds = Math.ceil(windowMs / 1000);
  const quota = seconds * 1000 === windowMs ? limit : Math.floor((limit * seconds * 1000) / windowMs);
  return `q=${quota};w=${seconds}`;
}

/** `text` as a Structured Field String: quoted, `"` and `\` escaped, other non-printable ASCII replaced by `_`. */
function sfString(text: string): string {
  return `"${text.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '\\$&')}"`;
}
