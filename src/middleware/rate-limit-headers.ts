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
 * what changes with the numbers (the `RateLimit` field, the legacy reset) is built again only when
 * they change: requests of many clients in one fixed window often share their numbers.
 */
export class RateLimitHeaders {
  readonly #draft: boolean;
  readonly #legacy: boolean;
  readonly #policy: string;
  /** The `RateLimit` field's start, `"<id>";r=`, of each window, by limit (the result names its window by its limit). */
  readonly #prefixes: ReadonlyMap<number, string>;
  /** The prefix of the first window: the one of a limiter with a single window, and the fallback. */
  readonly #firstPrefix: string;
  /** The text of each window's limit, for `X-RateLimit-Limit`. */
  readonly #limitTexts: ReadonlyMap<number, string>;
  /** The last `RateLimit` field written, and the numbers it was built from. */
  #lastPrefix = '';
  #lastRemaining = -1;
  #lastResetSeconds = -1;
  #lastField = '';
  /** The last `X-RateLimit-Reset` written, and the time it states. */
  #lastResetAt = -1;
  #lastResetText = '';

  /**
   * @param rule - the limiter's rule
   * @param style - which fields to write
   */
  constructor(rule: RateLimitRule, style: Exclude<RateLimitHeaderStyle, false>) {
    this.#draft = style !== 'legacy';
    this.#legacy = style !== 'draft';
    const name = rule.name ?? 'default';
    const windows = rule.windows;
    const prefixes = new Map<number, string>();
    const limitTexts = new Map<number, string>();
    const items: string[] = [];
    windows.forEach((window, index) => {
      const id = sfString(windows.length === 1 ? name : `${name}-${index + 1}`);
      if (!prefixes.has(window.limit)) prefixes.set(window.limit, `${id};r=`);
      limitTexts.set(window.limit, String(window.limit));
      items.push(`${id};${policyQuota(window.limit, window.windowMs)}`);
    });
    this.#prefixes = prefixes;
    this.#limitTexts = limitTexts;
    this.#firstPrefix = prefixes.values().next().value as string;
    this.#policy = items.join(', ');
  }

  /** Writes the fields of `result`. */
  write(result: RateLimitResult, target: HeaderTarget): void {
    const resetSeconds = Math.ceil(result.resetMs / 1000);
    if (this.#draft) {
      target.setHeader('RateLimit-Policy', this.#policy);
      const prefix = this.#prefixes.size === 1 ? this.#firstPrefix : (this.#prefixes.get(result.limit) ?? this.#firstPrefix);
      target.setHeader('RateLimit', this.#field(prefix, result.remaining, resetSeconds));
    }
    if (this.#legacy) {
      target.setHeader('X-RateLimit-Limit', this.#limitTexts.get(result.limit) ?? String(result.limit));
      target.setHeader('X-RateLimit-Remaining', String(result.remaining));
      target.setHeader('X-RateLimit-Reset', this.#resetText(Math.ceil((Date.now() + result.resetMs) / 1000)));
    }
  }

  /** The `RateLimit` field's value: the last one when its numbers are the same. */
  #field(prefix: string, remaining: number, resetSeconds: number): string {
    if (remaining !== this.#lastRemaining || resetSeconds !== this.#lastResetSeconds || prefix !== this.#lastPrefix) {
      this.#lastField = `${prefix}${remaining};t=${resetSeconds}`;
      this.#lastPrefix = prefix;
      this.#lastRemaining = remaining;
      this.#lastResetSeconds = resetSeconds;
    }
    return this.#lastField;
  }

  /** The text of `X-RateLimit-Reset` for `resetAt` (Unix seconds): the last one when it is the same. */
  #resetText(resetAt: number): string {
    if (resetAt !== this.#lastResetAt) {
      this.#lastResetText = String(resetAt);
      this.#lastResetAt = resetAt;
    }
    return this.#lastResetText;
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
