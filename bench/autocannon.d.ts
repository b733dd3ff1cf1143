/**
 * Minimal types for autocannon 9, which ships none (and `@types/autocannon` is not installed):
 * only what `bench/http.ts` uses.
 */
declare module 'autocannon' {
  /** Options of a run. */
  export interface Options {
    /** The URL to load. */
    url: string;
    /** Concurrent connections. @defaultValue 10 */
    connections?: number;
    /** Requests in flight per connection. @defaultValue 1 */
    pipelining?: number;
    /** Seconds to run. @defaultValue 10 */
    duration?: number;
  }

  /** One statistic over the run's seconds (or latencies, in ms). */
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p99: number;
    /** The sum over the run (for `requests`: the requests completed). */
    total: number;
  }

  /** What a run measured. */
  export interface Result {
    /** Requests completed per second. */
    requests: Histogram;
    /** Latency of the requests, in ms. */
    latency: Histogram;
    /** Connection errors. */
    errors: number;
    /** Requests that timed out. */
    timeouts: number;
    /** Responses with a status other than 2xx. */
    non2xx: number;
    '2xx': number;
  }

  /** Runs a load test; resolves with its result. */
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
