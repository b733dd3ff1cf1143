/**
 * How a {@link RedisMetricsSink} names its keys: every key starts with the hash tag `{prefix}`,
 * so that one flush's keys share a Cluster slot and one script call writes them all.
 * @module
 * @internal
 */

/** The hash of every sink's last written flush sequence, by sink id. */
export function sequenceKey(prefix: string): string {
  return `{${prefix}}:seq`;
}

/** Where a metric's hash lives: all of its series and suffixes are fields of this one key. */
export function metricKey(prefix: string, name: string): string {
  return `{${prefix}}:m:${name}`;
}

/** The SCAN pattern of every metric hash under `prefix` (glob characters of the prefix escaped). */
export function metricPattern(prefix: string): string {
  return `${metricKey(prefix.replace(/[*?[\]\\]/g, '\\$&'), '')}*`;
}

/** The metric name of a key under `prefix`. */
export function metricNameOf(prefix: string, key: string): string {
  return key.slice(metricKey(prefix, '').length);
}
