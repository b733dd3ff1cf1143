/**
 * Minimal types for opossum 10, which ships none (and `@types/opossum` is not installed): only
 * what the benchmarks use.
 */
declare module 'opossum' {
  /** Options of a {@link CircuitBreaker}; the benchmarks use opossum's defaults. */
  interface CircuitBreakerOptions {
    /** Per-call timeout in ms; opossum's default is 10000, `false` disables it. */
    timeout?: number | false;
    /** Failure percentage that opens the circuit. @defaultValue 50 */
    errorThresholdPercentage?: number;
    /** How long the circuit stays open before half-open, in ms. @defaultValue 30000 */
    resetTimeout?: number;
    /** Whether to emit periodic `snapshot` events. @defaultValue true */
    enableSnapshots?: boolean;
  }

  /** opossum's circuit breaker around one async action. */
  class CircuitBreaker<A extends unknown[] = unknown[], R = unknown> {
    constructor(action: (...args: A) => R | PromiseLike<R>, options?: CircuitBreakerOptions);
    /** Runs the action through the breaker. */
    fire(...args: A): Promise<R>;
    /** Stops the breaker's interval timers and listeners. */
    shutdown(): void;
    /** Opens the circuit by hand (starts the `resetTimeout` timer, which is unref'd). */
    open(): void;
    /** Whether the circuit is open. */
    readonly opened: boolean;
    /** Node EventEmitter API (opossum breakers are emitters). */
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export = CircuitBreaker;
}
