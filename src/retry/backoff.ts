/**
 * Backoff delays between tries: a pure function of the try that failed and the previous delay,
 * so one Retry instance is safe to share between concurrent calls.
 * @see {@link https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/} for the jitter kinds.
 * @module
 * @internal
 */

/** How the delay grows from one retry to the next. */
export type BackoffKind = 'constant' | 'linear' | 'exponential';

/**
 * How a delay is randomised so that many clients do not retry in lockstep:
 * `full` picks uniformly in [0, d]; `equal` in [d/2, d]; `decorrelated` (AWS) in
 * [initialDelayMs, 3 × previous delay], replacing the kind's own growth; `none` uses d.
 */
export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none';

/**
 * Computes the delay before the next try yourself.
 * @param attempt - the try that just failed, 1-based
 * @param error - the error it failed with, or undefined when `retryOnResult` asked for the retry
 * @returns the delay in ms; clamped to [0, maxDelayMs]
 */
export type BackoffFunction = (attempt: number, error: unknown) => number;

/** The resolved parameters of a backoff. */
export interface BackoffSettings {
  readonly kind: BackoffKind | BackoffFunction;
  readonly initialDelayMs: number;
  readonly multiplier: number;
  readonly maxDelayMs: number;
  readonly jitter: Jitter;
  readonly random: () => number;
}

/**
 * The delay before the try after `attempt`, in ms.
 * @param attempt - the try that just failed, 1-based
 * @param previousDelayMs - the delay used before `attempt`, or 0 before the first retry
 * @param error - why it failed
 */
export function backoffDelay(
  settings: BackoffSettings,
  attempt: number,
  previousDelayMs: number,
  error: unknown,
): number {
  const { kind, initialDelayMs, maxDelayMs, random } = settings;
  if (typeof kind === 'function') return clamp(kind(attempt, error), maxDelayMs);
  if (settings.jitter === 'decorrelated') {
    const previous = previousDelayMs > 0 ? previousDelayMs : initialDelayMs;
    const upper = Math.max(initialDelayMs, previous * 3);
    return clamp(initialDelayMs + random() * (upper - initialDelayMs), maxDelayMs);
  }
  const base = clamp(baseDelay(kind, initialDelayMs, settings.multiplier, attempt), maxDelayMs);
  switch (settings.jitter) {
    case 'full':
      return random() * base;
    case 'equal':
      return base / 2 + (random() * base) / 2;
    default:
      return base;
  }
}

function baseDelay(kind: BackoffKind, initialDelayMs: number, multiplier: number, attempt: number): number {
  if (kind === 'constant') return initialDelayMs;
  if (kind === 'linear') return initialDelayMs * attempt;
  return initialDelayMs * multiplier ** (attempt - 1);
}

function clamp(delayMs: number, maxDelayMs: number): number {
  if (!(delayMs > 0)) return 0;
  return delayMs < maxDelayMs ? delayMs : maxDelayMs;
}
