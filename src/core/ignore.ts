/**
 * The one no-op of the library.
 * @module
 * @internal
 */

/**
 * Does nothing: the handler of a rejection that is dealt with elsewhere or does not matter (a
 * late reply, a best-effort clean-up), and the placeholder of a resolver not yet captured.
 */
export function ignore(): void {}
